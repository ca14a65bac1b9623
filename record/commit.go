package record

import "time"

// Commit is the commit of a repository's history a record is about: the
// record's Root is the repository, its Path the job's name (the commit's
// object name, ":part/parts" after it for a part of a huge one), and each
// finding's File the file the commit changed.
type Commit struct {
	ID     string `json:"id"`
	Author string `json:"author,omitempty"`
	Email  string `json:"email,omitempty"`
	// Date is the author's date, in UTC.
	Date time.Time `json:"date,omitzero"`
	// Message is the commit message's first line.
	Message string `json:"message,omitempty"`
}

// Short is the commit's name cut to 12 characters, as people read it.
func (c *Commit) Short() string {
	if c == nil {
		return ""
	}
	return c.ID[:min(len(c.ID), 12)]
}
