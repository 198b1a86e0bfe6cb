package httpapi

import (
	"math"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/stock"
)

// maxEstimateDuration bounds a file's running time in an estimate.
const maxEstimateDuration = 24 * time.Hour

// maxNameLen bounds a file name a JSON request echoes.
const maxNameLen = 1024

// estimateRequest is the body of POST /v1/estimate.
type estimateRequest struct {
	Options *estOptions    `json:"options"`
	Files   []estimateFile `json:"files"`
}

// estimateFile is one file to estimate, as the browser knows it before
// the upload.
type estimateFile struct {
	Name            string  `json:"name"`
	Kind            string  `json:"kind"`
	Width           int     `json:"width"`
	Height          int     `json:"height"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// estimateAnswer is the answer of POST /v1/estimate.
type estimateAnswer struct {
	Files       []fileEstimate `json:"files"`
	Credits     int64          `json:"credits"`
	InputTokens int64          `json:"input_tokens"`
	Available   *int64         `json:"available,omitempty"`
	Enough      *bool          `json:"enough,omitempty"`
}

type fileEstimate struct {
	Name        string `json:"name"`
	Credits     int64  `json:"credits"`
	InputTokens int64  `json:"input_tokens"`
}

// estimate serves POST /v1/estimate: the credits (Config.Pricer) and
// input tokens (Config.Estimator, images with a size) the files would
// cost, and whether the balance covers them. Nothing is kept or charged;
// the names are only echoed.
func (h *Handler) estimate(w http.ResponseWriter, r *http.Request) {
	var req estimateRequest
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.Files) > h.fileCount() {
		writeError(w, errcode.Errorf(errcode.TooLarge, "more than %d files", h.fileCount()))
		return
	}
	o := h.cfg.Defaults
	if req.Options != nil {
		var err error
		if o, err = req.Options.apply(o); err != nil {
			writeError(w, err)
			return
		}
	}
	o.Account = accountOf(r)
	task := string(o.Task)
	if task == "" {
		task = string(picfre.TaskMetadata)
	}
	ans := estimateAnswer{Files: make([]fileEstimate, 0, len(req.Files))}
	for i, f := range req.Files {
		if err := f.check(); err != nil {
			writeError(w, errcode.Errorf(errcode.Of(err), "files[%d]: %v", i, err))
			return
		}
		fe := fileEstimate{Name: f.Name}
		if h.cfg.Pricer != nil {
			d := time.Duration(f.DurationSeconds * float64(time.Second))
			price, err := h.cfg.Pricer.Price(metering.PriceInput{Task: task, MediaType: f.Kind, Duration: d})
			if err != nil {
				writeError(w, err)
				return
			}
			fe.Credits = price
		}
		if h.cfg.Estimator != nil && f.Kind == "image" && f.Width > 0 && f.Height > 0 {
			est, err := h.cfg.Estimator.EstimateSize(r.Context(), f.Name, f.Width, f.Height, o)
			if err != nil {
				writeError(w, err)
				return
			}
			fe.InputTokens = int64(est.InputTokens)
		}
		if fe.Credits < 0 || ans.Credits > math.MaxInt64-fe.Credits {
			writeError(w, errcode.New(errcode.InvalidArgument, "the files' price is out of range"))
			return
		}
		ans.Credits += fe.Credits
		ans.InputTokens += fe.InputTokens
		ans.Files = append(ans.Files, fe)
	}
	if h.cfg.Ledger != nil {
		b, err := h.cfg.Ledger.Balance(r.Context(), o.Account)
		if err != nil {
			writeError(w, err)
			return
		}
		enough := ans.Credits <= b.Available
		ans.Available, ans.Enough = &b.Available, &enough
	}
	writeJSON(w, http.StatusOK, ans)
}

// check validates one file of an estimate.
func (f estimateFile) check() error {
	switch {
	case len(f.Name) > maxNameLen || !utf8.ValidString(f.Name):
		return errcode.Errorf(errcode.InvalidArgument, "name is not 0 to %d bytes of UTF-8", maxNameLen)
	case f.Kind != "image" && f.Kind != "video" && f.Kind != "audio" && f.Kind != "vector":
		return errcode.New(errcode.InvalidArgument, "kind must be image, video, audio or vector")
	case f.Width < 0 || f.Height < 0:
		return errcode.New(errcode.InvalidArgument, "width and height must not be negative")
	case math.IsNaN(f.DurationSeconds) || f.DurationSeconds < 0 || f.DurationSeconds > maxEstimateDuration.Seconds():
		return errcode.Errorf(errcode.InvalidArgument, "duration_seconds must be 0 to %.0f", maxEstimateDuration.Seconds())
	}
	return nil
}

// estOptions is JobOptions as an estimate reads it: absent fields keep
// the defaults. (The same checks as an upload's options: a task, counts
// that are not negative, a known agency.)
type estOptions struct {
	Task           *string  `json:"task"`
	Agency         *string  `json:"agency"`
	Language       *string  `json:"language"`
	SecondLanguage *string  `json:"second_language"`
	MinKeywords    *int     `json:"min_keywords"`
	MaxKeywords    *int     `json:"max_keywords"`
	MaxTitle       *int     `json:"max_title"`
	MaxDescription *int     `json:"max_description"`
	Context        *string  `json:"context"`
	Require        []string `json:"require"`
	Exclude        []string `json:"exclude"`
	SingleWord     *bool    `json:"single_word"`
	ASCIIOnly      *bool    `json:"ascii_only"`
	Generator      *string  `json:"generator"`
}

func (e *estOptions) apply(o picfre.Options) (picfre.Options, error) {
	if e.Task != nil {
		switch picfre.Task(*e.Task) {
		case picfre.TaskMetadata, picfre.TaskPrompt:
			o.Task = picfre.Task(*e.Task)
		default:
			return o, errcode.New(errcode.InvalidArgument, "options.task must be metadata or prompt")
		}
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setInt := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&o.Agency, e.Agency)
	set(&o.Language, e.Language)
	set(&o.SecondLanguage, e.SecondLanguage)
	set(&o.Context, e.Context)
	set(&o.Generator, e.Generator)
	setInt(&o.MinKeywords, e.MinKeywords)
	setInt(&o.MaxKeywords, e.MaxKeywords)
	setInt(&o.MaxTitle, e.MaxTitle)
	setInt(&o.MaxDescription, e.MaxDescription)
	if e.Require != nil {
		o.Require = e.Require
	}
	if e.Exclude != nil {
		o.Exclude = e.Exclude
	}
	if o.MinKeywords < 0 || o.MaxKeywords < 0 || o.MaxTitle < 0 || o.MaxDescription < 0 ||
		(o.MaxKeywords > 0 && o.MinKeywords > o.MaxKeywords) {
		return o, errcode.New(errcode.InvalidArgument, "options: the counts are out of range")
	}
	if o.Agency != "" {
		if _, err := stock.Lookup(o.Agency); err != nil {
			return o, errcode.New(errcode.InvalidArgument, "options: unknown agency")
		}
	}
	if e.SingleWord != nil {
		o.SingleWord = *e.SingleWord
	}
	if e.ASCIIOnly != nil {
		o.ASCIIOnly = *e.ASCIIOnly
	}
	return o, nil
}
