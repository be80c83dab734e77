/* ttlab: the thin binary; everything lives in libttlab. */
#include <stdio.h>

int main(void)
{
    puts("ttlab: under construction");
    return 0;
}
