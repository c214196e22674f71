// pf_link
