package pvspec

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of the pvspec format, for
// editors and other tools: it knows every key, its type and the closed
// vocabularies (byte orders, sides, XenbusStates, phases, shared object
// kinds, key types, stages). Decode stays the authority on what a spec may
// contain, and Check does the layout and reference checks a schema cannot.
// `pvczar spec schema` prints it.
//
//go:embed schema.json
var Schema []byte
