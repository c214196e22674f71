//  pf_partition - which logical partition a message belongs to. Stable
//  across processes, machines and versions: it decides which proc owns
//  a message, so changing it would break dedupe of resends.

#ifndef PF_PARTITION_H_INCLUDED
#define PF_PARTITION_H_INCLUDED

//  The partition of a message: FNV-1a (64 bit) of the key, or of the id
//  when the key is empty, modulo partitions.
uint32_t
    pf_partition_of (const byte *key, size_t key_size, const byte *id,
                     size_t id_size, uint32_t partitions);

//  Parse a range list "0-31,40,48-63" into owned[0..partitions-1].
//  Returns 0, or -1 when the text is malformed or out of range.
int
    pf_partition_parse_ranges (const char *text, uint32_t partitions, bool *owned);

#endif
