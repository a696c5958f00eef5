package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/opencrm/crm/platform/errs"
)

//go:embed metaschema.json
var metaSchemaJSON []byte

// MetaSchema returns the JSON Schema document that every object definition
// must satisfy (for editors and the studio).
func MetaSchema() []byte { return bytes.Clone(metaSchemaJSON) }

const metaSchemaURL = "https://opencrm.dev/meta/object.json"

// compiledMeta compiles the embedded meta-schema once. It is immutable
// after compilation and safe for concurrent use, which is why this one
// value lives at package level.
var compiledMeta = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = refuseLoad
	if err := c.AddResource(metaSchemaURL, bytes.NewReader(metaSchemaJSON)); err != nil {
		return nil, err
	}
	return c.Compile(metaSchemaURL)
})

// refuseLoad keeps the compiler from fetching anything: definitions may
// only refer to what is embedded.
func refuseLoad(url string) (io.ReadCloser, error) {
	return nil, fmt.Errorf("schema: loading %s is not allowed", url)
}

// invalid returns the metadata.invalid error with the given field errors,
// sorted by pointer.
func invalid(fields []errs.FieldError) *errs.Error {
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	e := errs.New(errs.Invalid, "metadata.invalid", "the object definition is invalid")
	if len(fields) == 1 {
		e.Message = "the object definition is invalid: " + fields[0].Field + ": " + fields[0].Message
	}
	e.Fields = fields
	return e
}

var quotedName = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)

// metaErrors turns a meta-schema validation error into field errors whose
// Field is the JSON pointer of the offending keyword in the definition.
func metaErrors(err error) []errs.FieldError {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []errs.FieldError{{Code: "invalid", Message: err.Error()}}
	}
	var out []errs.FieldError
	seen := map[string]bool{}
	var walk func(v *jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) > 0 {
			for _, c := range v.Causes {
				walk(c)
			}
			return
		}
		for _, fe := range metaLeaf(v) {
			key := fe.Field + "\x00" + fe.Code
			if !seen[key] {
				seen[key] = true
				out = append(out, fe)
			}
		}
	}
	walk(ve)
	return out
}

// metaLeaf maps one leaf error of the meta-schema.
func metaLeaf(v *jsonschema.ValidationError) []errs.FieldError {
	kw := v.KeywordLocation
	code := kw[strings.LastIndexByte(kw, '/')+1:]
	ptr := v.InstanceLocation
	switch {
	case code == "required":
		var out []errs.FieldError
		for _, m := range quotedName.FindAllStringSubmatch(v.Message, -1) {
			out = append(out, errs.FieldError{Field: ptr + "/" + escapePointer(m[1]), Code: "required",
				Message: "is required here"})
		}
		return out
	case code == "not" && strings.HasSuffix(kw, "additionalProperties/not"):
		return []errs.FieldError{{Field: ptr, Code: "unknown_keyword", Message: "is not a known keyword here"}}
	case code == "const" && strings.HasSuffix(ptr, "/additionalProperties"):
		return []errs.FieldError{{Field: ptr, Code: "const", Message: "must be false"}}
	case code == "pattern" && strings.Contains(kw, "propertyNames"):
		return []errs.FieldError{{Field: ptr, Code: "name", Message: "is not a valid field name " +
			"(a lower-case letter, then letters, digits or _; at most 40)"}}
	}
	if ptr == "" {
		ptr = "/"
	}
	return []errs.FieldError{{Field: ptr, Code: code, Message: v.Message}}
}
