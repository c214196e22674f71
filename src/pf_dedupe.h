// pf_dedupe
