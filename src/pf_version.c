//  pf_version - the library version.

#include "pf_classes.h"

const char *
pf_version (void)
{
    return PACKAGE_VERSION;
}
