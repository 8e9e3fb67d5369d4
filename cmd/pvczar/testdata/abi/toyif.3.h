/* toyif.h: a test header for pvczar; the id field moved. */
#define TOYIF_OP_READ  0
#define TOYIF_OP_WRITE 1
struct toyif_request {
    uint32_t request_id;
    uint8_t  operation;
    uint8_t  pad[3];
};
