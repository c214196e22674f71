#include "cmd.h"
int cmd_send (int argc, char **argv) { cmd_fatal ("not yet"); }
