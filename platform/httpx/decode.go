package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
)

// Codes of the errors DecodeJSON returns.
const (
	// CodeMalformedBody: empty body, bad JSON syntax or data after the
	// value (400). The field error's Position and the "offset" member give
	// the byte offset where the problem was found.
	CodeMalformedBody = "request.malformed_body"
	// CodeUnsupportedMediaType: the Content-Type is not JSON (400).
	CodeUnsupportedMediaType = "request.unsupported_media_type"
	// CodeUnsupportedEncoding: a Content-Encoding other than identity (400).
	CodeUnsupportedEncoding = "request.unsupported_encoding"
	// CodeTooDeep: arrays and objects nested deeper than
	// Config.MaxJSONDepth (400).
	CodeTooDeep = "request.json_too_deep"
	// CodeWrongType: well-formed JSON whose value does not fit the Go
	// target, e.g. a string for an int field of a struct (422).
	CodeWrongType = "request.wrong_type"
	// CodeUnknownMember: DecodeStrictJSON met a member the target struct
	// does not have, e.g. a misspelt "grupBy" (422).
	CodeUnknownMember = "request.unknown_member"
)

// DecodeJSON decodes the request body into v, which must be a pointer. It
// is strict, so a handler gets either a value or a domain error to return:
//
//   - the Content-Type must be application/json or another +json type
//     (charset, if given, utf-8); anything else is 400
//     request.unsupported_media_type. We answer 400 rather than 415
//     because every error maps to one errs.Kind and each kind to one
//     status; the code tells the client what is wrong.
//   - a Content-Encoding (gzip, ...) is 400 request.unsupported_encoding:
//     inflating it would bypass the body limit.
//   - an empty body, a syntax error or anything but white space after the
//     value is 400 request.malformed_body, with the byte offset.
//   - nesting deeper than Config.MaxJSONDepth is 400 request.json_too_deep,
//     checked before decoding.
//   - a value that does not fit v's Go type is 422 request.wrong_type naming
//     the field.
//
// Numbers decoded into interface values become json.Number, so integers of
// any size stay exact; convert with Int64 or Float64. Unknown fields of a
// struct are ignored (the record service refuses unknown record fields by
// its metadata). Strings in v are copies: v may outlive the handler.
func DecodeJSON(c *fiber.Ctx, v any) error {
	return decodeRequest(c, v, false)
}

// DecodeStrictJSON is DecodeJSON for request envelopes (a bulk, aggregate,
// composite or import request): a member that the target struct does not
// have is 422 request.unknown_member naming it, so a misspelt option is
// refused instead of silently ignored. Member names still match without
// regard to case, as encoding/json matches them.
func DecodeStrictJSON(c *fiber.Ctx, v any) error {
	return decodeRequest(c, v, true)
}

func decodeRequest(c *fiber.Ctx, v any, strict bool) error {
	maxDepth := DefaultMaxJSONDepth
	if st := stateOf(c); st != nil {
		maxDepth = st.srv.cfg.MaxJSONDepth
	}
	if err := checkContentType(c.Get(fiber.HeaderContentType)); err != nil {
		return err
	}
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
		return errs.New(errs.Malformed, CodeUnsupportedEncoding, "Content-Encoding is not supported on request bodies")
	}
	// The raw body: c.Body() would inflate an encoded one.
	return decodeBytes(c.Request().Body(), v, maxDepth, strict)
}

func checkContentType(ct string) error {
	bad := func(msg string) error {
		return errs.New(errs.Malformed, CodeUnsupportedMediaType, "%s", msg)
	}
	if ct == "" {
		return bad("Content-Type must be application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return bad("Content-Type is not a valid media type")
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return bad("Content-Type must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return bad("JSON must be UTF-8")
	}
	return nil
}

// decodeBytes is DecodeJSON after the header checks.
func decodeBytes(body []byte, v any, maxDepth int, strict bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return malformed(0, "the request body is empty")
	}
	if off, ok := withinDepth(body, maxDepth); !ok {
		e := errs.New(errs.Malformed, CodeTooDeep, "JSON nested deeper than %d levels", maxDepth)
		e.Fields = []errs.FieldError{{Code: "too_deep", Message: e.Message, Position: off}}
		e.Extra = map[string]any{"offset": off, "maxDepth": maxDepth}
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return malformed(int(se.Offset), se.Error())
		case errors.Is(err, io.ErrUnexpectedEOF):
			return malformed(len(body), "unexpected end of JSON input")
		case errors.As(err, &te):
			field := te.Field
			e := errs.New(errs.Invalid, CodeWrongType, "a value has the wrong type")
			e.Fields = []errs.FieldError{{Field: field, Code: "type",
				Message: "must be " + jsonTypeName(te.Type.Kind().String()) + ", not " + te.Value}}
			return e
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok && strict {
			name = strings.Trim(name, `"`)
			return errs.New(errs.Invalid, CodeUnknownMember, "the request has a member %q this endpoint does not know", name).
				WithField(name, "unknown_member", "is not a member of this request")
		}
		// An InvalidUnmarshalError (v not a pointer) is the caller's bug.
		return err
	}
	tail := body[dec.InputOffset():]
	if rest := bytes.TrimLeft(tail, " \t\r\n"); len(rest) > 0 {
		// 1-based offset of the first byte after the value and its spaces.
		return malformed(int(dec.InputOffset())+len(tail)-len(rest)+1, "unexpected data after the JSON value")
	}
	return nil
}

func malformed(offset int, msg string) *errs.Error {
	e := errs.New(errs.Malformed, CodeMalformedBody, "malformed JSON body: %s", msg)
	e.Fields = []errs.FieldError{{Code: "syntax", Message: msg, Position: offset}}
	e.Extra = map[string]any{"offset": offset}
	return e
}

// jsonTypeName names a Go kind the way a JSON client thinks of it.
func jsonTypeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "a boolean"
	case kind == "slice", kind == "array":
		return "an array"
	case kind == "map", kind == "struct":
		return "an object"
	}
	return "another type"
}

// withinDepth scans JSON text and reports whether arrays and objects nest at
// most max deep; when not, it returns the 1-based offset of the bracket that
// went too deep. It does not validate the syntax (the decoder does).
func withinDepth(b []byte, max int) (int, bool) {
	depth := 0
	inString, escaped := false, false
	for i, ch := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		switch ch {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return i + 1, false
			}
		case '}', ']':
			depth--
		}
	}
	return 0, true
}
