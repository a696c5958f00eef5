package workflows

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/jobs"
)

// Headers of a webhook delivery. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)); a receiver
// checks it, rejects old timestamps, and dedupes on the delivery id, which
// stays the same across retries.
const (
	HeaderDelivery  = "X-CRM-Delivery"
	HeaderTimestamp = "X-CRM-Timestamp"
	HeaderSignature = "X-CRM-Signature"
)

// Sign returns the signature header value of a body sent at a Unix time.
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", timestamp)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header in constant time.
func Verify(secret string, timestamp int64, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// enqueueWebhook fixes the delivery (its id and exact body) in a job of its
// own, so retries resend the same bytes with the same id.
func (s *Service) enqueueWebhook(ctx context.Context, j *jobs.Job, w *compiled, i int, in runInput) (string, error) {
	a := &w.Actions[i]
	jobID := jobs.KeyID(KindWebhook, fmt.Sprintf("%s:%d", j.ID, i))
	body, err := json.Marshal(map[string]any{"deliveryId": jobID, "workflow": w.Name, "trigger": in.trigger,
		"object": in.object, "recordId": in.recID, "record": in.record, "old": in.old,
		"occurredAt": clock.Stamp(s.clock.Now())})
	if err != nil {
		return "", jobs.Permanent(err)
	}
	_, _, err = s.jobs.Enqueue(ctx, j.Tenant, jobs.Spec{Kind: KindWebhook, Key: fmt.Sprintf("%s:%d", j.ID, i),
		Payload: map[string]any{"url": a.URL, "body": string(body), "workflow": w.Name}})
	if err != nil {
		return "", err
	}
	return "webhook delivery " + jobID + " queued", nil
}

// webhookJob sends one delivery. A 2xx is done; 408, 429 and 5xx or a
// network error are retried with backoff; another answer, or a host no
// longer allow-listed, is dead at once.
func (s *Service) webhookJob(ctx context.Context, j *jobs.Job) error {
	set, err := s.Settings(ctx, j.Tenant)
	if err != nil {
		return err
	}
	u, err := url.Parse(str(j.Payload, "url"))
	if err != nil {
		return jobs.Permanent(err)
	}
	if !set.allowsHost(u) {
		return jobs.Permanent(errs.New(errs.Forbidden, "workflow.host_not_allowed", "the host %s is not in the tenant's webhook allow-list", u.Host))
	}
	body := []byte(str(j.Payload, "body"))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return jobs.Permanent(err)
	}
	ts := s.clock.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "opencrm-webhooks/1")
	req.Header.Set(HeaderDelivery, j.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(set.WebhookSecret, ts, body))
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("webhook to %s: %w", u.Host, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode == 408 || res.StatusCode == 429 || res.StatusCode >= 500:
		return fmt.Errorf("webhook to %s: status %d", u.Host, res.StatusCode)
	}
	return jobs.Permanent(fmt.Errorf("webhook to %s: status %d", u.Host, res.StatusCode))
}
