#include "cmd.h"
int cmd_node (int argc, char **argv) { cmd_fatal ("not yet"); }
