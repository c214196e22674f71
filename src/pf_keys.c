#include "pf_classes.h"
