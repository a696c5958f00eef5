package jsvm

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// The protocol between the engine and a worker process: one gob stream in
// each direction over the child's stdin and stdout (gob messages carry their
// own length). The parent sends toChild frames, the child fromChild frames.
// A run is one exchange: the parent sends Run; the child answers with
// Started when it had to compile the program first, any number of Call frames (ctx.records), each answered by one Reply, and ends
// with Done. A run that must end early (its caller's context ended, a hard
// bound) ends with the worker: the parent kills it.

// workerProtocol is the version the hello frame carries; a child of another
// version is refused.
const workerProtocol = 1

type toChild struct {
	Run   *wireRun
	Reply *wireReply
}

type fromChild struct {
	Hello      *wireHello
	Call       *wireCall
	Done       *wireDone
	NeedSource bool // the child does not have the program of the last Run: send it again with its source
	Started    bool // the child compiled the program: the run's clock starts now
}

type wireHello struct {
	Protocol int
	PID      int
}

// wireRun asks the child to run one event. Source is empty when the parent
// believes the child has compiled the program already.
type wireRun struct {
	ProgID, Name, Source string
	Event                string
	Tenant               string
	Record, Old          *wireValue
	User                 User
	Limits               Limits // resolved; Isolation is in-process
	Depth                int    // the run's own depth
}

type wireCall struct {
	Method     string // get, query, create, update, delete, aggregate
	Object, ID string
	Record     *wireValue // create's record, update's patch
	Query      Query
	Aggregate  Aggregate
}

type wireReply struct {
	Record     *wireValue // get, create, update; nil for a nil map
	Items      []wireValue
	NextCursor string
	Err        *wireError
}

type wireDone struct {
	Record *wireValue
	Errors []errs.FieldError
	Logs   []string
	Usage  Usage
	Err    *wireError
}

// wireError carries an error across the process boundary. Plain marks an
// error that was not an *errs.Error (only its text crosses).
type wireError struct {
	Plain    bool
	Kind     errs.Kind
	Code     string
	Message  string
	Fields   []errs.FieldError
	Extra    map[string]wireValue
	Cause    string
	HasCause bool
}

func toWireError(err error) *wireError {
	if err == nil {
		return nil
	}
	e := errs.As(err)
	if e == nil {
		return &wireError{Plain: true, Message: err.Error()}
	}
	w := &wireError{Kind: e.Kind, Code: e.Code, Message: e.Message, Fields: e.Fields}
	if e.Extra != nil {
		w.Extra = make(map[string]wireValue, len(e.Extra))
		for k, v := range e.Extra {
			w.Extra[k] = toWire(v, 0, 8)
		}
	}
	if e.Cause != nil {
		w.Cause, w.HasCause = e.Cause.Error(), true
	}
	return w
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	if w.Plain {
		return errors.New(w.Message)
	}
	e := &errs.Error{Kind: w.Kind, Code: w.Code, Message: w.Message, Fields: w.Fields}
	if w.Extra != nil {
		e.Extra = make(map[string]any, len(w.Extra))
		for k, v := range w.Extra {
			e.Extra[k] = v.value()
		}
	}
	if w.HasCause {
		e.Cause = errors.New(w.Cause)
	}
	return e
}

// wireValue is a record value with its Go type kept exactly: int64 and
// float64 stay apart (a JSON round trip would merge them), an empty map or
// list stays non-nil, and Extra's int stays int.
type wireValue struct {
	K wireKind
	B bool
	I int64
	F float64
	S string
	L []wireValue
	M map[string]wireValue
}

type wireKind uint8

const (
	wNull wireKind = iota
	wBool
	wInt64
	wInt // Go int (errs.Error's Extra)
	wFloat
	wString
	wList
	wMap
)

// toWire converts a Go value to its wire form, mapping each type the way
// toJS (bindings.go) maps it into a script, so the child sees what an
// in-process run would see. Values nested deeper than maxDepth are cut to
// null: the child's toJS stops at its JSON depth limit before reaching them.
func toWire(v any, depth, maxDepth int) wireValue {
	if depth > maxDepth {
		return wireValue{}
	}
	switch x := v.(type) {
	case nil:
		return wireValue{}
	case bool:
		return wireValue{K: wBool, B: x}
	case string:
		return wireValue{K: wString, S: x}
	case int:
		return wireValue{K: wInt, I: int64(x)}
	case int8:
		return wireValue{K: wInt64, I: int64(x)}
	case int16:
		return wireValue{K: wInt64, I: int64(x)}
	case int32:
		return wireValue{K: wInt64, I: int64(x)}
	case int64:
		return wireValue{K: wInt64, I: x}
	case uint8:
		return wireValue{K: wInt64, I: int64(x)}
	case uint16:
		return wireValue{K: wInt64, I: int64(x)}
	case uint32:
		return wireValue{K: wInt64, I: int64(x)}
	case uint:
		return uintWire(uint64(x))
	case uint64:
		return uintWire(x)
	case float32:
		return wireValue{K: wFloat, F: float64(x)}
	case float64:
		return wireValue{K: wFloat, F: x}
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return wireValue{K: wFloat, F: f}
		}
		return wireValue{K: wString, S: x.String()}
	case time.Time:
		return wireValue{K: wString, S: x.UTC().Format(time.RFC3339Nano)}
	case map[string]any:
		m := make(map[string]wireValue, len(x))
		for k, e := range x {
			m[k] = toWire(e, depth+1, maxDepth)
		}
		return wireValue{K: wMap, M: m}
	case []any:
		l := make([]wireValue, len(x))
		for i, e := range x {
			l[i] = toWire(e, depth+1, maxDepth)
		}
		return wireValue{K: wList, L: l}
	case []string:
		l := make([]wireValue, len(x))
		for i, e := range x {
			l[i] = wireValue{K: wString, S: e}
		}
		return wireValue{K: wList, L: l}
	case []map[string]any:
		l := make([]wireValue, len(x))
		for i, e := range x {
			l[i] = toWire(e, depth+1, maxDepth)
		}
		return wireValue{K: wList, L: l}
	}
	// As toJS: anything else is copied as its JSON form.
	raw, err := json.Marshal(v)
	if err != nil {
		return wireValue{}
	}
	var plain any
	if err := json.Unmarshal(raw, &plain); err != nil {
		return wireValue{}
	}
	return toWire(plain, depth, maxDepth)
}

// uintWire keeps what goja's ToValue makes of an unsigned integer: an
// integer when it fits, a float beyond.
func uintWire(u uint64) wireValue {
	if u <= 1<<63-1 {
		return wireValue{K: wInt64, I: int64(u)}
	}
	return wireValue{K: wFloat, F: float64(u)}
}

func (w wireValue) value() any {
	switch w.K {
	case wBool:
		return w.B
	case wInt64:
		return w.I
	case wInt:
		return int(w.I)
	case wFloat:
		return w.F
	case wString:
		return w.S
	case wList:
		out := make([]any, len(w.L))
		for i, e := range w.L {
			out[i] = e.value()
		}
		return out
	case wMap:
		out := make(map[string]any, len(w.M))
		for k, e := range w.M {
			out[k] = e.value()
		}
		return out
	}
	return nil
}

// wireRecord is the wire form of a record; nil stays nil.
func wireRecord(m map[string]any, maxDepth int) *wireValue {
	if m == nil {
		return nil
	}
	w := toWire(m, 0, maxDepth)
	return &w
}

// record is the record a wire form carries, or nil.
func (w *wireValue) record() (map[string]any, error) {
	if w == nil {
		return nil, nil
	}
	m, ok := w.value().(map[string]any)
	if !ok {
		return nil, fmt.Errorf("jsvm worker: a record of kind %d", w.K)
	}
	return m, nil
}
