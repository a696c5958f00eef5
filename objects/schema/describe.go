package schema

import (
	"bytes"
	"encoding/json"

	"github.com/opencrm/crm/platform/store"
)

// Describe returns the definition as served by GET /objects/{apiName}: the
// submitted document, member order kept, with the system fields (marked
// "x-crm-system": true, which Parse accepts back) placed first in
// "properties" and "x-crm-sharing" made explicit.
func (o *Object) Describe() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	member := func(k string, v []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	wroteSharing := false
	for _, k := range o.topKeys {
		switch k {
		case "properties":
			member(k, o.describeProperties())
		case "x-crm-sharing":
			wroteSharing = true
			member(k, o.topRaw[k])
		default:
			member(k, o.topRaw[k])
		}
	}
	if !wroteSharing {
		v, _ := json.Marshal(o.Sharing)
		member("x-crm-sharing", v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func (o *Object) describeProperties() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o.AllFields() {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(f.Name)
		b.Write(kb)
		b.WriteByte(':')
		if f.System {
			for _, s := range systemFieldDefs {
				if s.name == f.Name {
					b.WriteString(s.def)
				}
			}
			continue
		}
		var c bytes.Buffer
		if json.Compact(&c, f.Raw) == nil {
			b.Write(c.Bytes())
		} else {
			b.Write(f.Raw)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// RecordSchema returns the JSON Schema of a record as the API returns it,
// for the OpenAPI document: every field that is not deleted with its label,
// help and read-only flag, and the required fields.
func (o *Object) RecordSchema() map[string]any {
	props := map[string]any{}
	for _, f := range o.AllFields() {
		if f.Deleted {
			continue
		}
		s := f.typ.Schema(f)
		s["title"] = f.Label
		if f.Help != "" {
			s["description"] = f.Help
		}
		if f.ReadOnly() {
			s["readOnly"] = true
		}
		if f.TypeName == "picklist" || f.TypeName == "multipicklist" {
			labels := map[string]any{}
			for _, pv := range f.Values {
				labels[pv.Value] = pv.Label
			}
			s["x-crm-labels"] = labels
		}
		props[f.Name] = s
	}
	req := make([]any, 0, len(o.Required))
	for _, r := range o.Required {
		req = append(req, r)
	}
	return map[string]any{"title": o.Label, "type": "object", "properties": props, "required": req,
		"additionalProperties": false}
}

// Indexes returns the secondary indexes the object's metadata asks for: a
// unique index ("ux_<field>") for every x-crm-unique field and an index
// ("ix_<field>", with id as second key for keyset paging) for every
// x-crm-indexed, lookup or master-detail field, system fields owner,
// createdAt and updatedAt included. Deleted fields lose their indexes.
// The slice is built once per object (every list asks for it) and shared:
// callers must not change it.
func (o *Object) Indexes() []store.Index {
	o.indexesOnce.Do(func() { o.indexes = o.buildIndexes() })
	return o.indexes
}

func (o *Object) buildIndexes() []store.Index {
	var out []store.Index
	for _, f := range o.AllFields() {
		if f.Deleted || !f.Indexable() {
			continue
		}
		switch {
		case f.Unique:
			out = append(out, store.Index{Name: "ux_" + f.Name, Keys: []store.IndexKey{{Field: f.Name}}, Unique: true})
		case f.Indexed || f.TypeName == "lookup" || f.TypeName == "masterdetail":
			out = append(out, store.Index{Name: "ix_" + f.Name, Keys: []store.IndexKey{{Field: f.Name}, {Field: "id"}}})
		}
	}
	return out
}
