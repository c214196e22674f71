// pf_edge
