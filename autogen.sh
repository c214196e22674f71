#!/bin/sh
# Generate ./configure and the Makefile templates from the autotools sources.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force
