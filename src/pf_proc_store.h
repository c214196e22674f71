// pf_proc_store
