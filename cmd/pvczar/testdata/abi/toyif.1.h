/* toyif.h: a test header for pvczar. */
#define TOYIF_OP_READ  0
#define TOYIF_OP_WRITE 1
struct toyif_request {
    uint8_t  operation;
    uint8_t  pad[3];
    uint32_t id;
};
