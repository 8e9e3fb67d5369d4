package pvspec

// The names the renderers give, for the round-trip tests in package
// spec_test.
var (
	CIdent = cIdent
	CTag   = cTag
	GoName = goName
)
