package video

import (
	"bytes"
	"context"
	"errors"
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
// any of the metadata a file carries: container and stream tags (title,
// artist, comment, encoder, creation time, location), chapters, cover
// art, subtitles, attachments and data streams. What a provider receives
// is then the picture and the sound and nothing that names the file, its
// author or where it was made.
//
// Metadata can also ride inside the video frames, so the video stream is
// handled by codec (codec is Info.Codec; see VideoCleaning): H.264 and
// AV1 are copied with their SEI messages or metadata units removed
// (GoPro, DJI and phone encoders put settings, serial numbers and
// positions there); VP8 and VP9 carry none and are copied as they are;
// any other codec is re-encoded to H.264 (its own SEI removed too): MJPEG
// first of all, each frame being a JPEG with its own EXIF (GPS, serial
// number, artist), and HEVC, whose SEI sits in the hvcC configuration
// record as well, where ffmpeg's filter_units does not reach. Audio is
// always copied.
//
// When ffmpeg cannot write out because the disk is full (or a quota or
// the open-file limit is reached) the error wraps ErrResources, not
// ErrInvalid. The process is killed when ctx is done. Safe for concurrent
// use.
func Sanitize(ctx context.Context, tools Tools, in, out, format, codec string, audioOnly bool) error {
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
	args = append(args, "-c", "copy")
	if !audioOnly {
		args = append(args, videoArgs(codec)...)
	}
	args = append(args, "-sn", "-dn",
		"-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1",
		"-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact")
	if muxer == "mp3" {
		args = append(args, "-id3v2_version", "0", "-write_id3v1", "0")
	}
	args = append(args, "-f", muxer, "-y", inputURL(out))
	_, stderr, err := run(ctx, tools.FFmpeg, args, 0)
	if err == nil && writeFailed(stderr) {
		// ffmpeg 5 reports a failed write of its trailer or a failed
		// close (a full disk) and still exits 0: the output is
		// truncated and must not be sent.
		err = errors.New("output not written")
	}
	if err != nil {
		if ctx.Err() != nil {
			return &Error{Op: "sanitize", Err: ctx.Err()}
		}
		if e := failure(stderr); e == ErrResources {
			// Without the detail: it may name the output's path.
			return &Error{Op: "sanitize", Err: e}
		}
		return &Error{Op: "sanitize", Err: ErrInvalid, Detail: lastLine(stderr, in)}
	}
	return nil
}

// VideoCleaning says how Sanitize treats a video codec's frames:
// "filter" (copied with the bitstream filter that drops in-band metadata),
// "copy" (the codec has nowhere to put metadata) or "reencode" (frames
// that can carry metadata no filter removes, such as MJPEG's EXIF).
func VideoCleaning(codec string) string {
	switch codec {
	case "h264", "av1":
		return "filter"
	case "vp8", "vp9":
		return "copy"
	}
	return "reencode"
}

// videoArgs are the output options for the video stream of codec, after
// "-c copy".
func videoArgs(codec string) []string {
	switch codec {
	case "h264":
		// NAL unit type 6: SEI (user data, camera settings, timecodes).
		return []string{"-bsf:v", "filter_units=remove_types=6"}
	case "av1":
		// OBU type 5: metadata (ITU-T T.35 user data among others).
		return []string{"-bsf:v", "filter_units=remove_types=5"}
	case "vp8", "vp9":
		return nil
	}
	// Even sizes for 4:2:0; x264's own SEI (its settings) is dropped
	// like any other.
	return []string{"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
		"-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-bsf:v", "filter_units=remove_types=6"}
}

// writeFailed reports whether ffmpeg's stderr tells of output it could not
// write.
func writeFailed(stderr []byte) bool {
	return bytes.Contains(stderr, []byte("Error writing trailer")) || bytes.Contains(stderr, []byte("Error closing file")) ||
		failure(stderr) == ErrResources
}
