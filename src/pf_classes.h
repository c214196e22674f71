//  pf_classes.h - private umbrella header: every src/*.c includes only this.

#ifndef PF_CLASSES_H_INCLUDED
#define PF_CLASSES_H_INCLUDED

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <czmq.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdbool.h>
#include <inttypes.h>

#include "pushfabric.h"
#include "pf_log.h"
#include "pf_buf.h"
#include "pf_proto.h"
#include "pf_link.h"
#include "pf_config.h"
#include "pf_keys.h"
#include "pf_node.h"
#include "pf_auth.h"
#include "pf_partition.h"
#include "pf_dedupe.h"
#include "pf_map.h"
#include "pf_proc_sched.h"
#include "pf_proc_store.h"
#include "pf_hist.h"
#include "pf_edge.h"
#include "pf_proc_core.h"
#include "pf_proc.h"
#include "pf_db.h"
#include "pf_json.h"
#include "pf_control.h"
#include "pf_stats.h"
#include "pf_alert.h"
#include "pf_metrics.h"
#include "pf_retry_sched.h"
#include "pf_retry_store.h"
#include "pf_retry_core.h"
#include "pf_retry.h"

#endif
