// Package video reads video files through ffmpeg and ffprobe: it probes a
// clip's duration, size and frame rate, takes a bounded number of
// representative frames as JPEGs for vision models that take images, and
// derives the technical keywords stock buyers search for.
//
// # Tools
//
// ffmpeg and ffprobe are found on PATH by [LookTools] (Debian package
// ffmpeg). When they are missing every call fails with an error wrapping
// [ErrToolMissing], which names the package to install. Every call takes
// a context; when it is done, the tool's process is killed.
//
// # Probing
//
// [Probe] runs ffprobe and [ParseProbe] reads its JSON without trusting a
// number. Only a short list of containers is accepted (MP4/MOV, Matroska/
// WebM, AVI and the audio formats), so playlists and other indirections
// are never followed. The input is always passed as a file: URL, so that
// a path can be neither an option nor another protocol. Error messages
// never contain the path.
//
// # Frames
//
// [Frames] divides the clip into Max equal segments and takes one frame
// from each: by default the middle frame, found by fast input seeking (one
// short ffmpeg run per frame); with [FrameOptions].SceneThreshold, the
// keyframe with the largest scene change in the segment, falling back to
// the middle. Frames are scaled by ffmpeg and streamed through a pipe: no
// file is written, and memory holds only the frames kept, whatever the
// length of the clip.
//
// # Keywords
//
// [Classify] turns [Info] into resolution class (4K, full HD, HD),
// frame-rate (slow motion, high frame rate), shape and duration keywords.
// [CameraMotion] compares pairs of small grey frames taken 250 ms apart to
// tell a static shot from a pan, a tilt or other movement.
//
// # Concurrency
//
// All functions are safe for concurrent use; each call runs its own
// processes.
package video
