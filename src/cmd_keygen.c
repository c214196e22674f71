#include "cmd.h"
int cmd_keygen (int argc, char **argv) { cmd_fatal ("not yet"); }
