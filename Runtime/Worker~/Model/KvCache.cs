using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>
    /// Keys and values of past tokens, preallocated once: per layer two tensors of shape
    /// (maxBatch, n_kv_heads, maxSequence, head_dim). Each batch row ("slot") holds one sequence and has its
    /// own length, so one forward pass can prefill a prompt into a slot or decode one token for many slots
    /// that sit at different positions. Slots are reused: <see cref="Clear"/> a slot when its request ends.
    /// Not thread-safe; owned by the one thread that runs the model.
    /// </summary>
    public sealed class KvCache : IDisposable
    {
        private readonly Tensor[] _keys;   // per layer (maxBatch, n_kv_heads, maxSeq, head_dim)
        private readonly Tensor[] _values; // per layer (maxBatch, n_kv_heads, maxSeq, head_dim)
        private readonly long[] _lengths;

        /// <summary>Allocates a zeroed cache for models of <paramref name="config"/>'s shape.</summary>
        public KvCache(LlamaConfig config, int maxBatch, int maxSequence, ScalarType dtype, Device device)
        {
            if (maxBatch <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be at least 1");
            }
            if (maxSequence <= 0 || maxSequence > config.MaxPositionEmbeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(maxSequence), maxSequence,
                    $"maxSequence must be between 1 and max_position_embeddings ({config.MaxPositionEmbeddings})");
            }
            MaxBatch = maxBatch;
            MaxSequence = maxSequence;
            KeyValueHeads = config.KeyValueHeads;
            HeadDim = config.HeadDim;
            DType = dtype;
            Device = device;
            _keys = new Tensor[config.NumHiddenLayers];
            _values = new Tensor[config.NumHiddenLayers];
            _lengths = new long[maxBatch];
            // Normal tensors even when made in inference mode: passes outside inference mode write to them too.
            using var normalTensors = torch.inference_mode(false);
            for (int layer = 0; layer < config.NumHiddenLayers; layer++)
            {
                _keys[layer] = torch.zeros(new long[] { maxBatch, KeyValueHeads, maxSequence, HeadDim }, dtype: dtype, device: device).DetachFromDisposeScope();
                _values[layer] = torch.zeros(new long[] { maxBatch, KeyValueHeads, maxSequence, HeadDim }, dtype: dtype, device: device).DetachFromDisposeScope();
            }
        }

        /// <summary>A cache matching a model's shape, element type and device.</summary>
        public static KvCache For(LlamaModel model, int maxBatch, int maxSequence) =>
            new(model.Config, maxBatch, maxSequence, model.DType, model.Device);

        /// <summary>Rows (concurrent sequences) the cache holds.</summary>
        public int MaxBatch { get; }

        /// <summary>Tokens each row holds.</summary>
        public int MaxSequence { get; }

        /// <summary>Key/value heads per layer.</summary>
        public int KeyValueHeads { get; }

        /// <summary>Width of one head.</summary>
        public int HeadDim { get; }

        /// <summary>Element type of the cached keys and values.</summary>
        public ScalarType DType { get; }

        /// <summary>Device the cache lives on.</summary>
        public Device Device { get; }

        /// <summary>Layers the cache covers.</summary>
        public int Layers => _keys.Length;

        /// <summary>Bytes held by keys and values together.</summary>
        public long SizeInBytes => _keys.Sum(k => k.NumberOfElements * k.ElementSize) * 2;

        /// <summary>Tokens cached in a slot (the position the next token goes to).</summary>
        public long GetLength(int slot)
        {
            CheckSlot(slot);
            return _lengths[slot];
        }

        /// <summary>
        /// Forgets the tokens of a slot past <paramref name="length"/> (to roll back, e.g. after a stop sequence).
        /// A cache never grows this way: only a forward pass adds tokens.
        /// </summary>
        public void Truncate(int slot, long length)
        {
            CheckSlot(slot);
            if (length < 0 || length > _lengths[slot])
            {
                throw new ArgumentOutOfRangeException(nameof(length), length, $"slot {slot} holds {_lengths[slot]} tokens");
            }
            _lengths[slot] = length;
        }

        /// <summary>Empties a slot for a new sequence. The old values stay in memory but are never attended to.</summary>
        public void Clear(int slot) => Truncate(slot, 0);

        /// <summary>Empties every slot.</summary>
        public void ClearAll() => Array.Clear(_lengths);

        /// <summary>Frees the cache's memory.</summary>
        public void Dispose()
        {
            foreach (Tensor t in _keys.Concat(_values))
            {
                t.Dispose();
            }
        }

        /// <summary>
        /// Checks and describes one forward pass: <paramref name="tokens"/> new tokens for each of
        /// <paramref name="slots"/>, starting at <paramref name="startPositions"/> (null: each slot's length).
        /// The index tensors of the step are made when first used and belong to the dispose scope open then.
        /// </summary>
        internal CacheStep Plan(long[] slots, long[]? startPositions, long tokens, int maxPositions)
        {
            if (startPositions is not null && startPositions.Length != slots.Length)
            {
                throw new ArgumentException($"{startPositions.Length} start positions for {slots.Length} slots", nameof(startPositions));
            }
            var seen = new HashSet<long>();
            var starts = new long[slots.Length];
            long keyLength = 0;
            bool sameStart = true;
            for (int b = 0; b < slots.Length; b++)
            {
                long slot = slots[b];
                if (slot < 0 || slot >= MaxBatch)
                {
                    throw new ArgumentOutOfRangeException(nameof(slots), slot, $"slot must be in [0, {MaxBatch})");
                }
                if (!seen.Add(slot))
                {
                    throw new ArgumentException($"slot {slot} appears twice in one forward pass", nameof(slots));
                }
                long start = startPositions?[b] ?? _lengths[slot];
                if (start < 0 || start > _lengths[slot])
                {
                    throw new ArgumentOutOfRangeException(nameof(startPositions), start,
                        $"slot {slot} holds {_lengths[slot]} tokens: a forward pass can start at any of 0..{_lengths[slot]}");
                }
                long end = start + tokens;
                if (end > MaxSequence || end > maxPositions)
                {
                    throw new ArgumentOutOfRangeException(nameof(startPositions), start,
                        $"slot {slot}: positions up to {end} do not fit the cache ({MaxSequence}) or the model (max_position_embeddings {maxPositions})");
                }
                starts[b] = start;
                keyLength = Math.Max(keyLength, end);
                sameStart &= start == starts[0];
            }

            bool contiguous = true;
            for (int b = 1; b < slots.Length; b++)
            {
                contiguous &= slots[b] == slots[0] + b;
            }

            // Every row sees all keyLength keys only when one token is added to rows of equal length.
            bool needsMask = !(tokens == 1 && sameStart);
            return new CacheStep(slots, starts, tokens, keyLength, contiguous, needsMask, Device);
        }

        /// <summary>A layer's keys (maxBatch, n_kv_heads, maxSeq, head_dim), the tensor itself.</summary>
        internal Tensor KeysOf(int layer) => _keys[layer];

        /// <summary>A layer's values (maxBatch, n_kv_heads, maxSeq, head_dim), the tensor itself.</summary>
        internal Tensor ValuesOf(int layer) => _values[layer];

        /// <summary>Bytes of one layer's keys (or values).</summary>
        internal long LayerBytes => _keys.Length == 0 ? 0 : _keys[0].NumberOfElements * _keys[0].ElementSize;

        /// <summary>Stores a layer's new keys and values (B, T, n_kv_heads, head_dim) at the planned positions.</summary>
        internal void Write(int layer, Tensor keys, Tensor values, CacheStep step)
        {
            if (step.Batch == 1)
            {
                long slot = step.Slots[0], start = step.Starts[0];
                using Tensor kDst = _keys[layer].select(0, slot).narrow(1, start, step.Tokens);   // (n_kv_heads, T, head_dim)
                using Tensor vDst = _values[layer].select(0, slot).narrow(1, start, step.Tokens); // (n_kv_heads, T, head_dim)
                using Tensor kSrc = keys.select(0, 0).transpose(0, 1);                             // (n_kv_heads, T, head_dim)
                using Tensor vSrc = values.select(0, 0).transpose(0, 1);                           // (n_kv_heads, T, head_dim)
                kDst.copy_(kSrc);
                vDst.copy_(vSrc);
                return;
            }
            // cache[slot[b], :, pos[b, t], :] = new[b, t]: the two index tensors broadcast to (B, T) and,
            // split by a slice, lead the result's shape: (B, T, n_kv_heads, head_dim), the layout of the new keys.
            var index = new[] { TensorIndex.Tensor(step.SlotIndexColumn), TensorIndex.Colon, TensorIndex.Tensor(step.Positions) };
            _keys[layer].index_put_(keys, index);
            _values[layer].index_put_(values, index);
        }

        /// <summary>A layer's keys and values for the planned rows, up to the longest row: (B, n_kv_heads, L, head_dim) each.</summary>
        internal (Tensor Keys, Tensor Values) Read(int layer, CacheStep step)
        {
            if (step.Contiguous)
            {
                long first = step.Slots[0];
                Tensor k = _keys[layer].narrow(0, first, step.Batch).narrow(2, 0, step.KeyLength);   // (B, n_kv_heads, L, head_dim), a view
                Tensor v = _values[layer].narrow(0, first, step.Batch).narrow(2, 0, step.KeyLength); // (B, n_kv_heads, L, head_dim), a view
                return (k, v);
            }
            Tensor keys = _keys[layer].narrow(2, 0, step.KeyLength).index_select(0, step.SlotIndex);     // (B, n_kv_heads, L, head_dim)
            Tensor values = _values[layer].narrow(2, 0, step.KeyLength).index_select(0, step.SlotIndex); // (B, n_kv_heads, L, head_dim)
            return (keys, values);
        }

        /// <summary>Records the tokens a finished forward pass added.</summary>
        internal void Commit(CacheStep step)
        {
            for (int b = 0; b < step.Batch; b++)
            {
                _lengths[step.Slots[b]] = step.Starts[b] + step.Tokens;
            }
        }

        private void CheckSlot(int slot)
        {
            if (slot < 0 || slot >= MaxBatch)
            {
                throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slot must be in [0, {MaxBatch})");
            }
        }
    }

    /// <summary>
    /// One forward pass's rows and positions in a <see cref="KvCache"/>. The index tensors are made on first use (in
    /// the dispose scope open then), so a pass that needs none of them (the CPU decode path) makes no tensor for them.
    /// </summary>
    internal sealed class CacheStep
    {
        private readonly Device _device;
        private Tensor? _positions;
        private Tensor? _slotIndex;
        private Tensor? _slotIndexColumn;

        internal CacheStep(long[] slots, long[] starts, long tokens, long keyLength, bool contiguous, bool needsMask, Device device)
        {
            Slots = slots;
            Starts = starts;
            Tokens = tokens;
            KeyLength = keyLength;
            Contiguous = contiguous;
            NeedsMask = needsMask;
            _device = device;
        }

        public long[] Slots { get; }
        public long[] Starts { get; }
        public long Batch => Slots.Length;
        public long Tokens { get; }

        /// <summary>Keys attended to: the longest row's length after this pass.</summary>
        public long KeyLength { get; }

        /// <summary>True when the slots are consecutive and ascending, so the cache is read through views.</summary>
        public bool Contiguous { get; }

        public bool NeedsMask { get; }

        /// <summary>(B, T) absolute positions of the new tokens.</summary>
        public Tensor Positions => _positions ??= MakePositions();

        /// <summary>(B) the slots as a tensor.</summary>
        public Tensor SlotIndex => _slotIndex ??= torch.tensor(Slots, dtype: ScalarType.Int64, device: _device);

        /// <summary>(B, 1) the slots as a column.</summary>
        public Tensor SlotIndexColumn => _slotIndexColumn ??= SlotIndex.unsqueeze(1);

        private Tensor MakePositions()
        {
            long batch = Slots.Length;
            var values = new long[batch * Tokens];
            for (int b = 0; b < batch; b++)
            {
                for (long t = 0; t < Tokens; t++)
                {
                    values[b * Tokens + t] = Starts[b] + t;
                }
            }
            return torch.tensor(values, new long[] { batch, Tokens }, dtype: ScalarType.Int64, device: _device); // (B, T)
        }
    }
}
