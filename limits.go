package skranke

// MaxSignatureSize is the largest signature PNG, in bytes, the shop accepts
// and the desk sends.
const MaxSignatureSize = 256 << 10
