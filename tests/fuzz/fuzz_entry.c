/* fuzz_entry: libFuzzer's entry point for one target, chosen at compile time
 * with -DTT_FUZZ_TARGET=tt_fuzz_<name> (see tests/fuzz/fuzz.am, `make fuzz`). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return TT_FUZZ_TARGET(data, size);
}
