// Package imports owns CSV import and export of records. An import is a job:
// it starts at once, runs in the background through the record service (the
// same pipeline as every write, with the importing user's permissions), keeps
// its progress in the tenant's "_imports" collection, and ends with a per-row
// error report. An export streams the records of a filter as CSV, page by
// page, through the same read pipeline as a list.
//
// It imports objects/records, objects/metadata and platform packages; never
// the HTTP edge.
package imports

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

const coll = "_imports"

// MaxErrors caps the row errors an import report keeps.
const MaxErrors = 1000

// Fields tells which of an object's fields a principal may not edit or
// read; records.Guard implements it. The export needs it for its header:
// without fields= it lists every field the caller may read, and only those,
// before the first record is written.
type Fields interface {
	// Fields returns p's access to obj's fields that is not FieldEdit.
	Fields(ctx context.Context, p identity.Principal, obj *schema.Object) (map[string]records.FieldAccess, error)
}

// Service runs imports and exports. Close stops running imports (they are
// marked interrupted) and waits for them.
type Service struct {
	st      store.Store
	meta    *metadata.Service
	records *records.Service
	fields  Fields
	now     func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns the service. fields must be the guard the record service
// checks reads with, so that an export shows the columns a list would.
func New(st store.Store, meta *metadata.Service, recs *records.Service, fields Fields) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{st: st, meta: meta, records: recs, fields: fields, now: time.Now, ctx: ctx, cancel: cancel}
}

// Provision creates a new tenant's import collection.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	return s.st.EnsureCollection(ctx, tenant, coll)
}

// Close interrupts running imports and waits for them to stop.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Request describes an import.
type Request struct {
	// CSV is the file: a header row, then one record per row.
	CSV string `json:"csv"`
	// Mapping maps CSV columns to field API names; a column not mapped is
	// ignored. Empty maps every column to the field of the same name.
	Mapping map[string]string `json:"mapping"`
	// Mode is "create" (default) or "upsert" by ExternalIDField.
	Mode            string `json:"mode"`
	ExternalIDField string `json:"externalIdField"`
}

// Job is an import's state and report.
type Job struct {
	ID        string     `json:"id"`
	Object    string     `json:"object"`
	Status    string     `json:"status"` // running, done, interrupted, failed
	Rows      int        `json:"rows"`
	Processed int        `json:"processed"`
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Failed    int        `json:"failed"`
	Errors    []RowError `json:"errors"`
	StartedAt string     `json:"startedAt"`
	EndedAt   string     `json:"endedAt,omitempty"`
	By        string     `json:"by"`
}

// RowError is one row that was not imported (rows count from 1 after the
// header).
type RowError struct {
	Row     int               `json:"row"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  []errs.FieldError `json:"errors,omitempty"`
}

// Start checks the request, records the job and runs it in the background.
func (s *Service) Start(ctx context.Context, object string, req Request) (*Job, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok {
		return nil, errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	e, err := s.meta.Object(ctx, p.TenantID, object)
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(strings.NewReader(req.CSV)).ReadAll()
	if err != nil {
		return nil, errs.New(errs.Malformed, "import.bad_csv", "the CSV cannot be read: %v", err).WithField("csv", "syntax", err.Error())
	}
	if len(rows) < 2 {
		return nil, errs.New(errs.Malformed, "import.empty", "the CSV needs a header row and at least one record").WithField("csv", "empty", "no records")
	}
	mode := req.Mode
	if mode == "" {
		mode = "create"
	}
	if mode != "create" && mode != "upsert" {
		return nil, errs.New(errs.Malformed, "import.bad_mode", "mode must be create or upsert").WithField("mode", "enum", "must be create or upsert")
	}
	columns, err := mapColumns(rows[0], req.Mapping)
	if err != nil {
		return nil, err
	}
	obj := e.Object
	if err := checkTargets(obj, rows[0], columns, len(req.Mapping) > 0); err != nil {
		return nil, err
	}
	job := &Job{ID: id.New(), Object: object, Status: "running", Rows: len(rows) - 1, Errors: []RowError{},
		StartedAt: s.stamp(), By: p.UserID}
	if err := s.save(ctx, p.TenantID, job, true); err != nil {
		return nil, err
	}
	s.wg.Add(1)
	// NB: the job outlives the request: it runs with the service's context
	// (cancelled by Close) carrying the importer's identity.
	jobCtx := identity.WithPrincipal(s.ctx, p)
	go func() {
		defer s.wg.Done()
		s.run(jobCtx, p.TenantID, job, obj, rows[1:], columns, mode, req.ExternalIDField)
	}()
	return job, nil
}

// mapColumns returns, per CSV column, the field it fills ("" to skip).
func mapColumns(header []string, mapping map[string]string) ([]string, error) {
	out := make([]string, len(header))
	used := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		f := h
		if len(mapping) > 0 {
			f = mapping[h]
		}
		if f != "" && used[f] {
			return nil, errs.New(errs.Malformed, "import.bad_mapping", "two columns map to the field %q", f).WithField("mapping", "duplicate", f)
		}
		used[f] = f != ""
		out[i] = f
	}
	for col := range mapping {
		found := false
		for _, h := range header {
			found = found || strings.TrimSpace(h) == col
		}
		if !found {
			return nil, errs.New(errs.Malformed, "import.bad_mapping", "the mapping names a column %q the CSV lacks", col).WithField("mapping", "unknown_column", col)
		}
	}
	return out, nil
}

// checkTargets refuses a column whose field the object lacks: every row
// would fail on it, so the job is not started. mapped tells whether the
// field came from the mapping (which is then named) or from the header.
func checkTargets(obj *schema.Object, header, columns []string, mapped bool) error {
	for i, f := range columns {
		if f == "" {
			continue
		}
		if fd, ok := obj.Field(f); ok && !fd.Deleted {
			continue
		}
		col := strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
		if mapped {
			return errs.New(errs.Malformed, "import.bad_mapping", "the mapping entry %q: %q names a field %s lacks", col, f, obj.APIName).
				WithField("mapping", "unknown_field", fmt.Sprintf("%q: %q: %s has no field %q", col, f, obj.APIName, f))
		}
		return errs.New(errs.Malformed, "import.bad_mapping", "the CSV column %q names a field %s lacks: map it to a field, or map only the columns to import", col, obj.APIName).
			WithField("csv", "unknown_field", fmt.Sprintf("column %q: %s has no field %q", col, obj.APIName, f))
	}
	return nil
}

const batch = 200

func (s *Service) run(ctx context.Context, tenant string, job *Job, obj *schema.Object, rows [][]string, columns []string, mode, extID string) {
	for start := 0; start < len(rows); start += batch {
		if ctx.Err() != nil {
			job.Status = "interrupted"
			break
		}
		end := min(start+batch, len(rows))
		recs := make([]map[string]any, 0, end-start)
		for _, row := range rows[start:end] {
			rec := map[string]any{}
			for i, f := range columns {
				if f != "" && i < len(row) && row[i] != "" {
					rec[f] = fromCSV(obj, f, row[i])
				}
			}
			recs = append(recs, rec)
		}
		op := "create"
		if mode == "upsert" {
			op = "upsert"
		}
		results, err := s.records.Bulk(ctx, job.Object, records.BulkRequest{Operation: op, ExternalIDField: extID, Records: recs})
		if err != nil {
			job.Status = "failed"
			e := errs.As(err)
			if e == nil {
				e = errs.New(errs.Internal, "import.failed", "the import stopped on an internal error")
			}
			job.Errors = append(job.Errors, RowError{Row: start + 1, Code: e.Code, Message: e.Message, Fields: e.Fields})
			break
		}
		for _, r := range results {
			job.Processed++
			switch {
			case r.Err != nil:
				job.Failed++
				if len(job.Errors) < MaxErrors {
					re := RowError{Row: start + r.Index + 1, Code: "internal", Message: "internal error"}
					if e := errs.As(r.Err); e != nil {
						re.Code, re.Message, re.Fields = e.Code, e.Message, e.Fields
					}
					job.Errors = append(job.Errors, re)
				}
			case r.Op == records.OpCreate:
				job.Created++
			default:
				job.Updated++
			}
		}
		_ = s.save(context.WithoutCancel(ctx), tenant, job, false) // progress; the final save below reports failures
	}
	if job.Status == "running" {
		job.Status = "done"
	}
	job.EndedAt = s.stamp()
	_ = s.save(context.WithoutCancel(ctx), tenant, job, false)
}

// Get returns an import job of the caller's tenant.
func (s *Service) Get(ctx context.Context, jobID string) (*Job, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok {
		return nil, errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	doc, err := s.st.Get(ctx, p.TenantID, coll, jobID, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return nil, errs.New(errs.NotFound, "import.not_found", "no such import")
	}
	if err != nil {
		return nil, fmt.Errorf("imports: get %s: %w", jobID, err)
	}
	return jobOf(doc), nil
}

func (s *Service) save(ctx context.Context, tenant string, job *Job, insert bool) error {
	errsAny := make([]any, len(job.Errors))
	for i, e := range job.Errors {
		m := map[string]any{"row": int64(e.Row), "code": e.Code, "message": e.Message}
		if len(e.Fields) > 0 {
			fs := make([]any, len(e.Fields))
			for j, f := range e.Fields {
				fs[j] = map[string]any{"field": f.Field, "code": f.Code, "message": f.Message}
			}
			m["errors"] = fs
		}
		errsAny[i] = m
	}
	doc := store.Doc{"id": job.ID, "object": job.Object, "status": job.Status, "rows": int64(job.Rows),
		"processed": int64(job.Processed), "created": int64(job.Created), "updated": int64(job.Updated),
		"failed": int64(job.Failed), "errors": errsAny, "startedAt": job.StartedAt, "by": job.By}
	if job.EndedAt != "" {
		doc["endedAt"] = job.EndedAt
	}
	var err error
	if insert {
		_, err = s.st.Insert(ctx, tenant, coll, doc)
	} else {
		_, err = s.st.Update(ctx, tenant, coll, doc, 0)
	}
	if err != nil {
		return fmt.Errorf("imports: save job %s: %w", job.ID, err)
	}
	return nil
}

func jobOf(d store.Doc) *Job {
	n := func(k string) int { v, _ := store.NormalizeValue(d[k]).(int64); return int(v) }
	s := func(k string) string { v, _ := d[k].(string); return v }
	j := &Job{ID: s("id"), Object: s("object"), Status: s("status"), Rows: n("rows"), Processed: n("processed"),
		Created: n("created"), Updated: n("updated"), Failed: n("failed"), StartedAt: s("startedAt"), EndedAt: s("endedAt"),
		By: s("by"), Errors: []RowError{}}
	if es, ok := d["errors"].([]any); ok {
		for _, e := range es {
			m, _ := e.(map[string]any)
			row, _ := store.NormalizeValue(m["row"]).(int64)
			re := RowError{Row: int(row)}
			re.Code, _ = m["code"].(string)
			re.Message, _ = m["message"].(string)
			if fs, ok := m["errors"].([]any); ok {
				for _, f := range fs {
					fm, _ := f.(map[string]any)
					fe := errs.FieldError{}
					fe.Field, _ = fm["field"].(string)
					fe.Code, _ = fm["code"].(string)
					fe.Message, _ = fm["message"].(string)
					re.Fields = append(re.Fields, fe)
				}
			}
			j.Errors = append(j.Errors, re)
		}
	}
	return j
}

func (s *Service) stamp() string { return s.now().UTC().Format("2006-01-02T15:04:05.000Z") }

// Export writes the records of a list (filter, sort, fields as for a list)
// as CSV: a header row of the fields, then one row per record, fetched page
// by page through the read pipeline. Without fields, every field the caller
// may read is written, and no other (API.md: a field the caller may not read
// is absent from every answer, its name included).
func (s *Service) Export(ctx context.Context, object string, opt records.ListOptions, w io.Writer) error {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok {
		return errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	e, err := s.meta.Object(ctx, p.TenantID, object)
	if err != nil {
		return err
	}
	opt.Limit = 200
	page, err := s.records.List(ctx, object, opt)
	if err != nil {
		return err
	}
	var cols []string
	if strings.TrimSpace(opt.Fields) != "" {
		cols = exportColumns(opt.Fields)
	} else {
		access, err := s.fields.Fields(ctx, p, e.Object)
		if err != nil {
			return err
		}
		for _, f := range e.Object.AllFields() {
			if !f.Deleted && access[f.Name] != records.FieldNone {
				cols = append(cols, f.Name)
			}
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	for {
		for _, r := range page.Items {
			row := make([]string, len(cols))
			for i, c := range cols {
				if v, ok := r.Data[c]; ok && v != nil {
					row[i] = csvValue(v)
				}
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if page.NextCursor == nil {
			return nil
		}
		opt.Cursor = *page.NextCursor
		if page, err = s.records.List(ctx, object, opt); err != nil {
			return err
		}
	}
}

// exportColumns is the header of an export with fields=: id first, then
// each listed field once, in the order given (fields=id alone is one id
// column, not two). The list itself was checked by the list call.
func exportColumns(fields string) []string {
	cols := []string{"id"}
	seen := map[string]bool{"id": true}
	for _, f := range strings.Split(fields, ",") {
		if f = strings.TrimSpace(f); f != "" && !seen[f] {
			seen[f] = true
			cols = append(cols, f)
		}
	}
	return cols
}

// fromCSV turns a cell into the JSON value the field's type takes: numbers
// and booleans from their text, multi-picklists from ';'-separated values.
// A cell that does not parse stays text, so validation names the problem.
func fromCSV(obj *schema.Object, field, cell string) any {
	f, ok := obj.Field(field)
	if !ok {
		return cell
	}
	cell = strings.TrimSpace(cell)
	switch {
	case f.TypeName == "multipicklist":
		parts := strings.Split(cell, ";")
		out := make([]any, 0, len(parts))
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	case f.Kind() == schema.KindNumber:
		if _, err := strconv.ParseFloat(cell, 64); err == nil {
			return json.Number(cell)
		}
	case f.Kind() == schema.KindBool:
		if b, err := strconv.ParseBool(strings.ToLower(cell)); err == nil {
			return b
		}
	}
	return cell
}

func csvValue(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ";")
	case map[string]any:
		if idv, ok := x["id"]; ok {
			return fmt.Sprint(idv)
		}
	}
	return fmt.Sprint(v)
}
