/* barif.h: a test fixture with no entry in SUPPORT.md. */
struct barif_request { int id; };
