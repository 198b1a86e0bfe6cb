package video

import (
	"context"
	"fmt"
)

// muxers maps the containers picfre sends whole to ffmpeg's muxer names.
var muxers = map[string]string{
	"mp4": "mp4", "mov": "mov", "m4a": "ipod", "webm": "webm", "mkv": "matroska", "avi": "avi",
	"wav": "wav", "mp3": "mp3", "flac": "flac", "ogg": "ogg",
}

// Sanitize copies the first video stream and the first audio stream of
// the file at in (audioOnly: the first audio stream only) into a new file
// at out, in the container named by format ("mp4", "mp3", ...), without
// re-encoding and without any of the metadata a file carries: container
// and stream tags (title, artist, comment, encoder, creation time,
// location), chapters, cover art, subtitles, attachments and data
// streams. What a provider receives is then the picture and the sound and
// nothing that names the file, its author or where it was made.
//
// The process is killed when ctx is done. Safe for concurrent use.
func Sanitize(ctx context.Context, tools Tools, in, out, format string, audioOnly bool) error {
	if err := tools.check(); err != nil {
		return &Error{Op: "sanitize", Err: err}
	}
	muxer, ok := muxers[format]
	if !ok {
		return &Error{Op: "sanitize", Err: ErrUnsupported, Detail: fmt.Sprintf("no muxer for %q", format)}
	}
	args := []string{"-nostdin", "-v", "error", "-i", inputURL(in)}
	if audioOnly {
		args = append(args, "-map", "0:a:0", "-vn")
	} else {
		args = append(args, "-map", "0:v:0", "-map", "0:a:0?")
	}
	args = append(args, "-c", "copy", "-sn", "-dn",
		"-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1",
		"-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact")
	if muxer == "mp3" {
		args = append(args, "-id3v2_version", "0", "-write_id3v1", "0")
	}
	args = append(args, "-f", muxer, "-y", inputURL(out))
	_, stderr, err := run(ctx, tools.FFmpeg, args, 0)
	if err != nil {
		if ctx.Err() != nil {
			return &Error{Op: "sanitize", Err: ctx.Err()}
		}
		return &Error{Op: "sanitize", Err: ErrInvalid, Detail: lastLine(stderr, in)}
	}
	return nil
}
