package wiretest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

// uploadGranularity is the chunk size every non-final chunk of a resumable
// upload must be a multiple of (the X-Goog-Upload-Chunk-Granularity the
// service announces).
const uploadGranularity = 8 << 20

// Upload is one file uploaded through the Gemini Files API.
type Upload struct {
	// Name is the resource name, "files/{id}"; URI is what generateContent
	// parts reference.
	Name, URI   string
	DisplayName string
	MIMEType    string
	Data        []byte
	// Header holds the headers of the request that started the upload.
	Header http.Header
	// State is the file's processing state when the copy was taken:
	// PROCESSING, ACTIVE or FAILED.
	State string
}

// geminiFiles is the Files API state of a Gemini server, guarded by
// Server.mu.
type geminiFiles struct {
	seq      int
	sessions map[string]*uploadSession
	stored   map[string]*storedFile // by id
	order    []string               // ids in upload order
	uploads  []Upload
	script   []providertest.Outcome
}

type uploadSession struct {
	file     Upload
	declared int64 // X-Goog-Upload-Header-Content-Length, -1 if absent
}

type storedFile struct {
	Upload
	polls   int // files.get calls left before processing ends
	created time.Time
}

// EnqueueFiles scripts the outcome of the next Gemini Files API request
// (upload start, upload chunk, files.get or files.delete). Only Fault and
// Delay are used; the request then fails the way the real service fails.
// generateContent requests do not consume this script.
func (s *Server) EnqueueFiles(o providertest.Outcome) {
	s.mu.Lock()
	s.files.script = append(s.files.script, o)
	s.mu.Unlock()
}

// Uploads returns every file whose upload was finalized, including files
// deleted since, in upload order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.files.uploads...)
}

// Files returns the files the Gemini server currently stores (uploaded and
// not deleted), in upload order.
func (s *Server) Files() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Upload
	for _, id := range s.files.order {
		if f, ok := s.files.stored[id]; ok {
			out = append(out, f.Upload)
		}
	}
	return out
}

// serveFiles answers the Files API requests of the Gemini protocol and
// reports whether r was one.
//
// The protocol is the one google.golang.org/genai speaks: a resumable
// upload started with POST /upload/v1beta/files (X-Goog-Upload-Protocol:
// resumable, X-Goog-Upload-Command: start), answered with the session's
// X-Goog-Upload-URL; chunks POSTed there with X-Goog-Upload-Command
// "upload" or "upload, finalize" and X-Goog-Upload-Offset, the last one
// answered with X-Goog-Upload-Status: final and {"file": {...}}; then GET
// and DELETE /v1beta/files/{id}.
func (s *Server) serveFiles(w http.ResponseWriter, r *http.Request, body, dump []byte) bool {
	path := r.URL.Path
	var kind string
	switch {
	case path == "/upload/v1beta/files" && r.Method == http.MethodPost:
		kind = "upload"
	case strings.HasPrefix(path, "/v1beta/files/") && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		kind = "file"
	default:
		return false
	}
	s.mu.Lock()
	var o providertest.Outcome
	if len(s.files.script) > 0 {
		o, s.files.script = s.files.script[0], s.files.script[1:]
	}
	s.mu.Unlock()
	if o.Delay > 0 {
		t := time.NewTimer(o.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	uploadID := r.URL.Query().Get("upload_id")
	// The upload URL itself authorizes the chunks of a session; every
	// other call needs the key.
	if uploadID == "" && r.Header.Get("X-Goog-Api-Key") != s.opts.Key {
		geminiProtocol{}.fault(w, provider.Unauthenticated, 0, "")
		return true
	}
	if o.Fault != "" {
		geminiProtocol{}.fault(w, o.Fault, o.RetryAfter, "")
		return true
	}
	switch {
	case kind == "upload" && uploadID == "":
		s.startUpload(w, r, body)
	case kind == "upload":
		s.uploadChunk(w, r, uploadID, body)
	case r.Method == http.MethodGet:
		s.getFile(w, strings.TrimPrefix(path, "/v1beta/files/"))
	default:
		s.deleteFile(w, strings.TrimPrefix(path, "/v1beta/files/"))
	}
	return true
}

func (s *Server) startUpload(w http.ResponseWriter, r *http.Request, body []byte) {
	if !strings.EqualFold(r.Header.Get("X-Goog-Upload-Protocol"), "resumable") {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Upload protocol must be resumable or multipart.", nil)
		return
	}
	if cmd := strings.ToLower(r.Header.Get("X-Goog-Upload-Command")); cmd != "start" {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The first request of a resumable upload must carry X-Goog-Upload-Command: start.", nil)
		return
	}
	var in struct {
		File *struct {
			Name        string `json:"name"`
			DisplayName string `json:"displayName"`
			MIMEType    string `json:"mimeType"`
		} `json:"file"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.", nil)
			return
		}
	}
	up := Upload{Header: r.Header.Clone(), MIMEType: r.Header.Get("X-Goog-Upload-Header-Content-Type")}
	if f := in.File; f != nil {
		if len(f.DisplayName) > 512 {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* File.display_name: must be at most 512 characters", nil)
			return
		}
		up.DisplayName = f.DisplayName
		if f.MIMEType != "" {
			up.MIMEType = f.MIMEType
		}
		up.Name = f.Name
	}
	declared := int64(-1)
	if v := r.Header.Get("X-Goog-Upload-Header-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid X-Goog-Upload-Header-Content-Length.", nil)
			return
		}
		declared = n
	}
	if up.MIMEType == "" {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Mime type must be specified.", nil)
		return
	}
	s.mu.Lock()
	s.files.seq++
	sid := fmt.Sprintf("wtup%06d", s.files.seq)
	if s.files.sessions == nil {
		s.files.sessions = map[string]*uploadSession{}
	}
	s.files.sessions[sid] = &uploadSession{file: up, declared: declared}
	s.mu.Unlock()
	u := s.URL + "/upload/v1beta/files?upload_id=" + sid + "&upload_protocol=resumable"
	h := w.Header()
	h.Set("X-Goog-Upload-Status", "active")
	h.Set("X-Goog-Upload-URL", u)
	h.Set("X-Goog-Upload-Control-URL", u)
	h.Set("X-Goog-Upload-Chunk-Granularity", strconv.Itoa(uploadGranularity))
	h.Set("X-GUploader-UploadID", sid)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
}

// uploadFailure answers a bad chunk; the session ends, as with the real
// service.
func uploadFailure(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("X-Goog-Upload-Status", "final")
	writeGeminiError(w, status, "INVALID_ARGUMENT", msg, nil)
}

func (s *Server) uploadChunk(w http.ResponseWriter, r *http.Request, sid string, body []byte) {
	cmd := map[string]bool{}
	for c := range strings.SplitSeq(strings.ToLower(r.Header.Get("X-Goog-Upload-Command")), ",") {
		cmd[strings.TrimSpace(c)] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.files.sessions[sid]
	if !ok {
		uploadFailure(w, http.StatusNotFound, "Upload session not found or already finished.")
		return
	}
	if cmd["cancel"] {
		delete(s.files.sessions, sid)
		w.Header().Set("X-Goog-Upload-Status", "cancelled")
		w.WriteHeader(http.StatusOK)
		return
	}
	if cmd["query"] {
		w.Header().Set("X-Goog-Upload-Status", "active")
		w.Header().Set("X-Goog-Upload-Size-Received", strconv.Itoa(len(sess.file.Data)))
		w.WriteHeader(http.StatusOK)
		return
	}
	if !cmd["upload"] && !cmd["finalize"] {
		uploadFailure(w, http.StatusBadRequest, "Unknown X-Goog-Upload-Command.")
		delete(s.files.sessions, sid)
		return
	}
	off, err := strconv.ParseInt(r.Header.Get("X-Goog-Upload-Offset"), 10, 64)
	if err != nil || off != int64(len(sess.file.Data)) {
		uploadFailure(w, http.StatusBadRequest, "X-Goog-Upload-Offset does not match the bytes received.")
		delete(s.files.sessions, sid)
		return
	}
	if !cmd["finalize"] && len(body)%uploadGranularity != 0 {
		uploadFailure(w, http.StatusBadRequest, "A chunk that does not finalize must be a multiple of the chunk granularity.")
		delete(s.files.sessions, sid)
		return
	}
	if int64(len(sess.file.Data))+int64(len(body)) > maxBody*32 {
		uploadFailure(w, http.StatusRequestEntityTooLarge, "File too large.")
		delete(s.files.sessions, sid)
		return
	}
	sess.file.Data = append(sess.file.Data, body...)
	if !cmd["finalize"] {
		w.Header().Set("X-Goog-Upload-Status", "active")
		w.WriteHeader(http.StatusOK)
		return
	}
	delete(s.files.sessions, sid)
	if sess.declared >= 0 && sess.declared != int64(len(sess.file.Data)) {
		uploadFailure(w, http.StatusBadRequest, "The uploaded size does not match X-Goog-Upload-Header-Content-Length.")
		return
	}
	id := strings.TrimPrefix(sess.file.Name, "files/")
	if id == "" {
		s.files.seq++
		id = fmt.Sprintf("wtfile%06d", s.files.seq)
	}
	if _, taken := s.files.stored[id]; taken {
		w.Header().Set("X-Goog-Upload-Status", "final")
		writeGeminiError(w, http.StatusConflict, "ALREADY_EXISTS", "File files/"+id+" already exists.", nil)
		return
	}
	f := &storedFile{Upload: sess.file, created: time.Now().UTC()}
	f.Name = "files/" + id
	f.URI = s.URL + "/v1beta/files/" + id
	f.State = "ACTIVE"
	if mt := strings.ToLower(f.MIMEType); strings.HasPrefix(mt, "video/") || strings.HasPrefix(mt, "audio/") {
		f.State = "PROCESSING"
		f.polls = max(s.opts.ProcessingPolls, 1)
	}
	if s.files.stored == nil {
		s.files.stored = map[string]*storedFile{}
	}
	s.files.stored[id] = f
	s.files.order = append(s.files.order, id)
	s.files.uploads = append(s.files.uploads, f.Upload)
	w.Header().Set("X-Goog-Upload-Status", "final")
	writeJSON(w, http.StatusOK, map[string]any{"file": fileJSON(f)})
}

func fileJSON(f *storedFile) map[string]any {
	sum := sha256.Sum256(f.Data)
	m := map[string]any{
		"name":           f.Name,
		"mimeType":       f.MIMEType,
		"sizeBytes":      strconv.Itoa(len(f.Data)),
		"createTime":     f.created.Format(time.RFC3339Nano),
		"updateTime":     f.created.Format(time.RFC3339Nano),
		"expirationTime": f.created.Add(48 * time.Hour).Format(time.RFC3339Nano),
		"sha256Hash":     base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%x", sum))),
		"uri":            f.URI,
		"state":          f.State,
		"source":         "UPLOADED",
	}
	if f.DisplayName != "" {
		m["displayName"] = f.DisplayName
	}
	if f.State == "FAILED" {
		m["error"] = map[string]any{"code": 3, "message": "The video could not be processed."}
	}
	return m
}

// fileMissing is the service's answer for a file that does not exist or
// is not the caller's.
func fileMissing(w http.ResponseWriter, id string) {
	writeGeminiError(w, http.StatusForbidden, "PERMISSION_DENIED",
		"You do not have permission to access the File "+id+" or it may not exist.", nil)
}

func (s *Server) getFile(w http.ResponseWriter, id string) {
	s.mu.Lock()
	f, ok := s.files.stored[id]
	if ok && f.State == "PROCESSING" {
		if f.polls > 0 {
			f.polls--
		} else if s.opts.FailProcessing {
			f.State = "FAILED"
		} else {
			f.State = "ACTIVE"
		}
	}
	var out map[string]any
	if ok {
		out = fileJSON(f)
	}
	s.mu.Unlock()
	if !ok {
		fileMissing(w, id)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteFile(w http.ResponseWriter, id string) {
	s.mu.Lock()
	_, ok := s.files.stored[id]
	delete(s.files.stored, id)
	s.mu.Unlock()
	if !ok {
		fileMissing(w, id)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// resolveFiles fills in the bytes of the fileData parts of a Gemini
// request, or answers the way the service does for a missing or not yet
// active file and returns false.
func (s *Server) resolveFiles(w http.ResponseWriter, req *Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range req.Media {
		if m.FileURI == "" {
			continue
		}
		_, id, ok := strings.Cut(m.FileURI, "/files/")
		f, found := s.files.stored[id]
		if !ok || !found {
			fileMissing(w, id)
			return false
		}
		if f.State != "ACTIVE" {
			writeGeminiError(w, http.StatusBadRequest, "FAILED_PRECONDITION",
				"The File "+id+" is not in an ACTIVE state and usage is not allowed.", nil)
			return false
		}
		if m.MIMEType != "" && !strings.EqualFold(m.MIMEType, f.MIMEType) {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
				"The MIME type of fileData does not match the File "+id+".", nil)
			return false
		}
		req.Media[i].Data = f.Data
	}
	return true
}
