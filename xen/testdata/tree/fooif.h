/* fooif.h: a test fixture. See docs/misc/fooif.pandoc for the protocol. */
#include "ring.h"
struct fooif_request { int id; };
