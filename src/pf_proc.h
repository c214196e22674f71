// pf_proc
