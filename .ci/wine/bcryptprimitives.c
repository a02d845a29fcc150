/*
 * bcryptprimitives.dll for the Wine smoke test only, never shipped.
 *
 * Since Go 1.22 the Windows runtime draws its random numbers from
 * ProcessPrng in bcryptprimitives.dll, which every Windows 10 and 11 has
 * but Debian 12's Wine 8.0 does not: there a Go program dies at start with
 * "bcryptprimitives.dll not found". This stand-in gives ProcessPrng from
 * RtlGenRandom; .ci/wine-test.sh builds it with mingw-w64 and puts it in
 * the test prefix's system32. Newer Wine has its own.
 */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n)
{
	while (n > 0) {
		ULONG chunk = n > 0x10000000 ? 0x10000000 : (ULONG)n;
		if (!RtlGenRandom(data, chunk))
			return FALSE;
		data += chunk;
		n -= chunk;
	}
	return TRUE;
}
