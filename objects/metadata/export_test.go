package metadata

// SetBeforeBatch lets a test hold a migration job before each batch.
func SetBeforeBatch(s *Service, f func()) { s.beforeBatch = f }

// Stopping is closed once Close has cancelled the service's jobs.
func Stopping(s *Service) <-chan struct{} { return s.ctx.Done() }
