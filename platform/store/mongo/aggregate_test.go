package mongo

import (
	"reflect"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/opencrm/crm/platform/store"
)

// TestGroupStages_buildsServerBucketsForMongoDB pins the pipeline MongoDB
// receives for date buckets (FerretDB cannot evaluate it, so only a real
// MongoDB runs it: CRM_TEST_MONGODB_URI).
func TestGroupStages_buildsServerBucketsForMongoDB(t *testing.T) {
	q := store.AggregateQuery{
		GroupBy:  []store.Group{{Field: "closeDate", By: "month"}, {Field: "id"}},
		Measures: []store.Measure{{Op: store.OpCount}, {Op: store.OpSum, Field: "amount"}},
		Limit:    3,
	}
	got := groupStages(q, false, q.Limit, true)
	isString := bson.D{{Key: "$eq", Value: bson.A{bson.D{{Key: "$type", Value: "$closeDate"}}, "string"}}}
	month := bson.D{{Key: "$cond", Value: bson.D{
		{Key: "if", Value: isString},
		{Key: "then", Value: bson.D{{Key: "$substrBytes", Value: bson.A{"$closeDate", 0, 7}}}},
		{Key: "else", Value: nil},
	}}}
	want := bson.A{
		bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{{Key: "k0", Value: month}, {Key: "k1", Value: "$_id"}}},
			{Key: "m0", Value: bson.D{{Key: "$sum", Value: 1}}},
			{Key: "m1", Value: bson.D{{Key: "$sum", Value: "$amount"}}},
			{Key: "p1", Value: bson.D{{Key: "$max", Value: "$amount"}}},
		}}},
		bson.D{{Key: "$sort", Value: bson.D{{Key: "_id.k0", Value: 1}, {Key: "_id.k1", Value: 1}}}},
		bson.D{{Key: "$limit", Value: int64(3)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groupStages =\n%v\nwant\n%v", got, want)
	}
}

func TestBucket_matchesTheServerExpression(t *testing.T) {
	for _, c := range []struct {
		v    any
		by   string
		want any
	}{
		{"2026-01-31", "day", "2026-01-31"},
		{"2026-01-31T23:59:59.000Z", "day", "2026-01-31"},
		{"2026-01-31", "month", "2026-01"},
		{"2026-01-31", "year", "2026"},
		{"2026-01-31", "quarter", "2026-Q1"},
		{"2026-03-31", "quarter", "2026-Q1"},
		{"2026-04-01", "quarter", "2026-Q2"},
		{"2026-09-30", "quarter", "2026-Q3"},
		{"2026-10-01", "quarter", "2026-Q4"},
		{"2026-12-31T00:00:00.000Z", "quarter", "2026-Q4"},
		{nil, "month", nil},
		{int64(5), "month", nil},
		{int64(5), "", int64(5)},
	} {
		if got := bucket(c.v, c.by); got != c.want {
			t.Errorf("bucket(%#v, %q) = %#v, want %#v", c.v, c.by, got, c.want)
		}
	}
}

func TestMergeBuckets_addsCountsAndSumsAndSortsNilFirst(t *testing.T) {
	q := store.AggregateQuery{
		GroupBy:  []store.Group{{Field: "d", By: "month"}, {Field: "n"}},
		Measures: []store.Measure{{Op: store.OpSum, Field: "x"}},
	}
	rows := []store.AggregateRow{
		{Keys: []any{"2026-02-03", int64(2)}, Values: []any{int64(1)}},
		{Keys: []any{"2026-02-09", 2.0}, Values: []any{int64(4)}},
		{Keys: []any{"2026-01-09", int64(2)}, Values: []any{1.5}},
		{Keys: []any{nil, int64(1)}, Values: []any{nil}},
		{Keys: []any{"2026-01-10", int64(2)}, Values: []any{int64(2)}},
		{Keys: []any{"2026-01-11", int64(2)}, Values: []any{nil}},
	}
	got := mergeBuckets(rows, q)
	want := []store.AggregateRow{
		{Keys: []any{nil, int64(1)}, Values: []any{nil}},
		{Keys: []any{"2026-01", int64(2)}, Values: []any{3.5}},
		{Keys: []any{"2026-02", int64(2)}, Values: []any{int64(5)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergeBuckets =\n%v\nwant\n%v", got, want)
	}
	q.Limit = 1
	if got := mergeBuckets(rows, q); len(got) != 1 || got[0].Keys[0] != nil {
		t.Errorf("limited mergeBuckets = %v, want the nil group only", got)
	}
}
