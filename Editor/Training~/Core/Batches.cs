using System;
using System.Collections.Generic;
using System.IO;

namespace SteerLM.Npc.Training.Core
{
    /// <summary>One batch of training data: input ids and targets (-100 where no loss is taken), both (B, T).</summary>
    public readonly struct Batch
    {
        public Batch(long[] inputs, long[] targets, int rows, int columns)
        {
            Inputs = inputs;
            Targets = targets;
            Rows = rows;
            Columns = columns;
        }

        public long[] Inputs { get; }

        public long[] Targets { get; }

        public int Rows { get; }

        public int Columns { get; }
    }

    /// <summary>Where batches come from: a token stream for pretraining, or masked examples for fine-tuning.</summary>
    public interface IBatchSource
    {
        /// <summary>Tokens in the source (for progress and epochs).</summary>
        long TokenCount { get; }

        /// <summary>The batch for a step: deterministic in (seed, step), so a resumed run sees the same batches.</summary>
        Batch Get(long seed, long step, int rows, int columns);
    }

    /// <summary>
    /// A stream of token ids (uint16, as nanoGPT's <c>train.bin</c>) held in memory; batches are random windows.
    /// </summary>
    public sealed class TokenStream : IBatchSource
    {
        private readonly ushort[] _tokens;

        public TokenStream(ushort[] tokens)
        {
            if (tokens.Length < 2)
            {
                throw new ArgumentException("A token stream needs at least two tokens.", nameof(tokens));
            }

            _tokens = tokens;
        }

        public long TokenCount => _tokens.Length;

        public static TokenStream Load(string path)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Token file not found: {path}", path);
            }

            var bytes = File.ReadAllBytes(path);
            if (bytes.Length % 2 != 0)
            {
                throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of uint16 tokens.");
            }

            var tokens = new ushort[bytes.Length / 2];
            Buffer.BlockCopy(bytes, 0, tokens, 0, bytes.Length);
            return new TokenStream(tokens);
        }

        public static void Save(string path, IReadOnlyList<int> tokens)
        {
            var data = new byte[tokens.Count * 2];
            for (var i = 0; i < tokens.Count; i++)
            {
                if (tokens[i] < 0 || tokens[i] > ushort.MaxValue)
                {
                    throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"token {i} does not fit in uint16");
                }

                data[2 * i] = (byte)tokens[i];
                data[2 * i + 1] = (byte)(tokens[i] >> 8);
            }

            File.WriteAllBytes(path, data);
        }

        public Batch Get(long seed, long step, int rows, int columns)
        {
            if (_tokens.Length <= columns)
            {
                throw new InvalidOperationException($"The token stream has {_tokens.Length} tokens; a sequence of {columns} needs more.");
            }

            var random = new Random(unchecked((int)(seed * 1_000_003 + step)));
            var inputs = new long[rows * columns];
            var targets = new long[rows * columns];
            for (var r = 0; r < rows; r++)
            {
                var start = random.Next(0, _tokens.Length - columns);
                for (var c = 0; c < columns; c++)
                {
                    inputs[r * columns + c] = _tokens[start + c];
                    targets[r * columns + c] = _tokens[start + c + 1];
                }
            }

            return new Batch(inputs, targets, rows, columns);
        }

        /// <summary>Consecutive, non-overlapping windows from the start: for evaluation the same every time.</summary>
        public Batch Sequential(int index, int rows, int columns)
        {
            var inputs = new long[rows * columns];
            var targets = new long[rows * columns];
            var windows = (_tokens.Length - 1) / columns;
            for (var r = 0; r < rows; r++)
            {
                var start = (int)(((long)index * rows + r) % Math.Max(1, windows)) * columns;
                for (var c = 0; c < columns; c++)
                {
                    inputs[r * columns + c] = _tokens[start + c];
                    targets[r * columns + c] = _tokens[start + c + 1];
                }
            }

            return new Batch(inputs, targets, rows, columns);
        }
    }

    /// <summary>
    /// Fine-tuning examples: token ids with a mask of the positions whose next token is learned (the reply).
    /// Batches are right-padded; padded and masked positions get target -100.
    /// </summary>
    public sealed class MaskedExamples : IBatchSource
    {
        public const long Ignore = -100;

        private readonly IReadOnlyList<(int[] Ids, bool[] Learn)> _examples;
        private readonly int _padId;

        public MaskedExamples(IReadOnlyList<(int[] Ids, bool[] Learn)> examples, int padId)
        {
            if (examples.Count == 0)
            {
                throw new ArgumentException("No fine-tuning examples.", nameof(examples));
            }

            _examples = examples;
            _padId = padId;
            foreach (var (ids, learn) in examples)
            {
                TokenCount += ids.Length;
                if (ids.Length != learn.Length)
                {
                    throw new ArgumentException("Every example needs one mask value per token.", nameof(examples));
                }
            }
        }

        public long TokenCount { get; }

        public int Count => _examples.Count;

        public Batch Get(long seed, long step, int rows, int columns)
        {
            var random = new Random(unchecked((int)(seed * 1_000_003 + step)));
            var picks = new int[rows];
            for (var r = 0; r < rows; r++)
            {
                picks[r] = random.Next(_examples.Count);
            }

            return Build(picks, columns);
        }

        /// <summary>Examples <paramref name="first"/>.. in order (for evaluation).</summary>
        public Batch Sequential(int first, int rows, int columns)
        {
            var picks = new int[rows];
            for (var r = 0; r < rows; r++)
            {
                picks[r] = (first + r) % _examples.Count;
            }

            return Build(picks, columns);
        }

        private Batch Build(int[] picks, int columns)
        {
            var rows = picks.Length;
            var inputs = new long[rows * columns];
            var targets = new long[rows * columns];
            for (var r = 0; r < rows; r++)
            {
                var (ids, learn) = _examples[picks[r]];
                for (var c = 0; c < columns; c++)
                {
                    var i = r * columns + c;
                    inputs[i] = c < ids.Length ? ids[c] : _padId;

                    // Target at position c is token c+1, learned when token c+1 belongs to the reply.
                    targets[i] = c + 1 < ids.Length && learn[c + 1] ? ids[c + 1] : Ignore;
                }
            }

            return new Batch(inputs, targets, rows, columns);
        }
    }
}
