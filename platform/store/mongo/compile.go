package mongo

import (
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/opencrm/crm/platform/store"
)

// matchNothing is a filter no document satisfies ($or needs at least one
// member, so an empty Or compiles to this).
func matchNothing() bson.D {
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{}}}}}
}

// compileFilter normalises f (validating every name and value) and compiles
// it to a MongoDB query document. nil matches everything.
func compileFilter(f store.Filter) (bson.D, error) {
	if f == nil {
		return bson.D{}, nil
	}
	nf, err := store.Normalize(f)
	if err != nil {
		return nil, err
	}
	return compile(nf)
}

// compile translates a normalised filter. Field names were validated by
// store.Normalize; operators are chosen here, never taken from the input.
func compile(f store.Filter) (bson.D, error) {
	switch f := f.(type) {
	case nil:
		return bson.D{}, nil
	case store.And:
		var parts bson.A
		for _, c := range f {
			d, err := compile(c)
			if err != nil {
				return nil, err
			}
			if len(d) == 0 {
				continue // matches everything
			}
			if isNothing(d) {
				return matchNothing(), nil
			}
			parts = append(parts, d)
		}
		switch len(parts) {
		case 0:
			return bson.D{}, nil
		case 1:
			return parts[0].(bson.D), nil
		}
		return bson.D{{Key: "$and", Value: parts}}, nil
	case store.Or:
		var parts bson.A
		for _, c := range f {
			d, err := compile(c)
			if err != nil {
				return nil, err
			}
			if len(d) == 0 {
				return bson.D{}, nil // one member matches everything
			}
			if isNothing(d) {
				continue
			}
			parts = append(parts, d)
		}
		switch len(parts) {
		case 0:
			return matchNothing(), nil
		case 1:
			return parts[0].(bson.D), nil
		}
		return bson.D{{Key: "$or", Value: parts}}, nil
	case store.Cmp:
		op, ok := cmpOps[f.Op]
		if !ok {
			return nil, fmt.Errorf("%w: operator %q", store.ErrInvalidQuery, f.Op)
		}
		return field(f.Field, bson.D{{Key: op, Value: f.Value}}), nil
	case store.In:
		vals := make(bson.A, len(f.Values))
		copy(vals, f.Values)
		if f.Not {
			return field(f.Field, bson.D{{Key: "$nin", Value: vals}}), nil
		}
		if len(vals) == 0 {
			return matchNothing(), nil
		}
		return field(f.Field, bson.D{{Key: "$in", Value: vals}}), nil
	case store.Like:
		re := bson.Regex{Pattern: likeRegex(f.Pattern), Options: "s"}
		if !f.Not {
			return field(f.Field, re), nil
		}
		// NOT LIKE matches null and strings that do not match; a $not
		// alone would also match numbers and booleans.
		return bson.D{{Key: "$or", Value: bson.A{
			field(f.Field, bson.D{{Key: "$eq", Value: nil}}),
			field(f.Field, bson.D{{Key: "$type", Value: "string"}, {Key: "$not", Value: re}}),
		}}}, nil
	case store.Null:
		op := "$eq"
		if f.Not {
			op = "$ne"
		}
		return field(f.Field, bson.D{{Key: op, Value: nil}}), nil
	}
	return nil, fmt.Errorf("%w: unexpected filter node %T", store.ErrInvalidQuery, f)
}

var cmpOps = map[store.CmpOp]string{
	store.OpEq: "$eq", store.OpNe: "$ne", store.OpLt: "$lt",
	store.OpLte: "$lte", store.OpGt: "$gt", store.OpGte: "$gte",
}

func field(name string, cond any) bson.D {
	return bson.D{{Key: path(name), Value: cond}}
}

func isNothing(d bson.D) bool {
	if len(d) != 1 || d[0].Key != "_id" {
		return false
	}
	in, ok := d[0].Value.(bson.D)
	if !ok || len(in) != 1 || in[0].Key != "$in" {
		return false
	}
	a, ok := in[0].Value.(bson.A)
	return ok && len(a) == 0
}

// likeRegex translates a LIKE pattern to an anchored regular expression
// that both PCRE (MongoDB) and RE2 (FerretDB) read the same way: % is .*,
// _ is . (with the s option, so it matches a newline too), ASCII letters
// become a class of both cases (the i option would also fold non-ASCII
// letters, which the port does not), everything else is quoted. \A and \z
// anchor the whole value ($ would also match before a final newline).
func likeRegex(pattern string) string {
	var b strings.Builder
	b.WriteString(`\A`)
	p := []rune(pattern)
	for i := 0; i < len(p); i++ {
		r := p[i]
		switch {
		case r == '%':
			b.WriteString(".*")
			continue
		case r == '_':
			b.WriteByte('.')
			continue
		case r == '\\' && i+1 < len(p):
			i++
			r = p[i]
		}
		writeLiteral(&b, r)
	}
	b.WriteString(`\z`)
	return b.String()
}

func writeLiteral(b *strings.Builder, r rune) {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		lower, upper := r|0x20, r&^0x20
		b.WriteByte('[')
		b.WriteRune(upper)
		b.WriteRune(lower)
		b.WriteByte(']')
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\x{%x}`, r) // NUL cannot appear in a BSON regex
	default:
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
}

// sortDoc compiles a full sort order, validating every field.
func sortDoc(sort []store.SortKey) (bson.D, error) {
	out := make(bson.D, 0, len(sort))
	for _, k := range sort {
		if err := store.ValidField(k.Field); err != nil {
			return nil, err
		}
		dir := 1
		if k.Desc {
			dir = -1
		}
		out = append(out, bson.E{Key: path(k.Field), Value: dir})
	}
	return out, nil
}

// projection compiles a field list (validated) to a projection that keeps
// _id and version. A path under another listed path is dropped, as MongoDB
// refuses both ("path collision").
func projection(fields []string) (bson.D, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	for _, f := range fields {
		if err := store.ValidField(f); err != nil {
			return nil, err
		}
	}
	out := bson.D{{Key: "_id", Value: 1}, {Key: "version", Value: 1}}
	seen := map[string]bool{}
	for _, f := range fields {
		first, _, _ := strings.Cut(f, ".")
		if first == "id" || first == "version" || seen[f] || underAnother(f, fields) {
			continue
		}
		seen[f] = true
		out = append(out, bson.E{Key: path(f), Value: 1})
	}
	return out, nil
}

// underAnother reports whether f is a sub-path of another listed field.
func underAnother(f string, fields []string) bool {
	for _, g := range fields {
		if strings.HasPrefix(f, g+".") {
			return true
		}
	}
	return false
}
