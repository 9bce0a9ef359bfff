using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>
    /// The decode step (one new token per row, against a <see cref="KvCache"/>) on the CPU in managed SIMD code
    /// instead of a chain of libtorch ops: the same arithmetic as <see cref="LlamaModel"/>'s tensor code, in float32,
    /// reading the parameters and the cache where they lie (nothing is copied or derived, so training, loading and
    /// <c>to()</c> stay in step with it).
    /// <para>
    /// Why: a decode step of a small model is ~60 tiny ops per layer. Through TorchSharp each costs a few
    /// microseconds of dispatch, and libtorch's matrix-vector products read weights at about half the memory
    /// bandwidth (float32 MKL gemv) or worse (bfloat16). Here a step is one pass over the weights at close to memory
    /// bandwidth (see <see cref="CpuKernels"/>).
    /// </para>
    /// <para>
    /// Numerics: float32 models compute what the tensor code computes, in another summation order (differences of
    /// float32 rounding). For bfloat16 models every intermediate the tensor code stores in a bfloat16 tensor is
    /// rounded to bfloat16 at the same point, so both paths agree to bfloat16 rounding.
    /// </para>
    /// <para>
    /// Threads: the matrix products (row ranges) and attention (query heads) are split over
    /// <c>torch.get_num_threads()</c> threads (at most one per core) with <see cref="CpuWorkers"/>; the results do
    /// not depend on the thread count. One pass at a time (a lock): the scratch buffers belong to the model.
    /// </para>
    /// </summary>
    internal sealed class CpuDecoder : IDisposable
    {
        private readonly int _width, _heads, _kvHeads, _headDim, _groups, _ff, _vocab;
        private readonly float _eps, _scale;
        private readonly object _gate = new object();
        private readonly ProjectJob _project;
        private readonly AttendJob _attend;
        private CpuWorkers? _workers;
        private int _rows = -1;
        private float[] _x = Array.Empty<float>();       // (B, D) residual stream
        private float[] _h = Array.Empty<float>();       // (B, D) normed input of a product
        private float[] _split = Array.Empty<float>();   // (B, max(D, F, heads*head_dim)) the input as the bfloat16 kernels read it
        private float[] _q = Array.Empty<float>();       // (B, heads*head_dim)
        private float[] _k = Array.Empty<float>();       // (B, kv_heads*head_dim)
        private float[] _v = Array.Empty<float>();       // (B, kv_heads*head_dim)
        private float[] _attn = Array.Empty<float>();    // (B, heads*head_dim)
        private float[] _out = Array.Empty<float>();     // (B, D) a projection back to the residual width
        private float[] _up = Array.Empty<float>();      // (B, F)
        private float[] _gateUp = Array.Empty<float>();  // (B, F)
        private long[] _ids = Array.Empty<long>();

        public CpuDecoder(LlamaConfig config)
        {
            _width = config.HiddenSize;
            _heads = config.NumAttentionHeads;
            _kvHeads = config.KeyValueHeads;
            _headDim = config.HeadDim;
            _groups = _heads / _kvHeads;
            _ff = config.IntermediateSize;
            _vocab = config.VocabSize;
            _eps = (float)config.RmsNormEps;
            _scale = 1f / MathF.Sqrt(_headDim);
            _project = new ProjectJob();
            _attend = new AttendJob(this);
        }

        /// <summary>Whether this machine runs the kernels (x86-64 with AVX2 and FMA).</summary>
        public static bool IsSupported => CpuKernels.IsSupported;

        /// <summary>Turns the path off (tests compare it with the tensor code; <c>STEERLM_CPU_DECODER=0</c> turns it off too).</summary>
        internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("STEERLM_CPU_DECODER") != "0";

        /// <summary>Whether a pass of a model of this element type on this device can run here.</summary>
        public static bool Handles(Device device, ScalarType dtype) =>
            Enabled && IsSupported && device.type == DeviceType.CPU && (dtype == ScalarType.Float32 || dtype == ScalarType.BFloat16);

        /// <summary>
        /// Logits (B, V) (or (B, 1, V)) in float32 for one new token per row of <paramref name="inputIds"/> (B, 1),
        /// written to and attending to the cache as <paramref name="step"/> plans; commits the step.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public Tensor Decode(LlamaModel model, LlamaTransformer transformer, Tensor headWeight, RotaryEmbedding rotary,
            Tensor inputIds, KvCache cache, CacheStep step, bool lastOnly)
        {
            lock (_gate)
            {
                int batch = checked((int)step.Batch);
                Ensure(batch, cache.MaxSequence);
                ReadIds(inputIds, batch);
                bool bf16 = model.DType == ScalarType.BFloat16;
                CpuWorkers workers = Workers();
                _project.Begin(workers.Threads, batch, bf16);

                Embed(transformer.EmbeddingWeight, batch, bf16);
                int qWidth = _heads * _headDim, kvWidth = _kvHeads * _headDim;
                for (int layer = 0; layer < transformer.LayerCount; layer++)
                {
                    LlamaDecoderLayer block = transformer.Layer(layer);
                    RmsNorm(_x, block.InputNormWeight, _h, batch, bf16);
                    _project.Input(Prepare(_h, _width, batch, bf16), _width);
                    _project.Add(block.QWeight, _q, qWidth);
                    _project.Add(block.KWeight, _k, kvWidth);
                    _project.Add(block.VWeight, _v, kvWidth);
                    workers.Run(_project, _project.Chunks, _project.Parallel);
                    Rotate(rotary, step, batch, bf16);
                    StoreKeysValues(cache, layer, step, batch, bf16);
                    _attend.Begin(cache, layer, step, bf16);
                    workers.Run(_attend, batch * _heads, parallel: AttentionBytes(step, bf16) >= ParallelBytes);

                    _project.Input(Prepare(_attn, qWidth, batch, bf16), qWidth);
                    _project.Add(block.OWeight, _out, _width);
                    workers.Run(_project, _project.Chunks, _project.Parallel);
                    CpuKernels.AddInPlace(_x.AsSpan(0, batch * _width), _out.AsSpan(0, batch * _width), bf16);

                    RmsNorm(_x, block.PostNormWeight, _h, batch, bf16);
                    _project.Input(Prepare(_h, _width, batch, bf16), _width);
                    _project.Add(block.GateWeight, _gateUp, _ff);
                    _project.Add(block.UpWeight, _up, _ff);
                    workers.Run(_project, _project.Chunks, _project.Parallel);
                    CpuKernels.SiluMul(_gateUp.AsSpan(0, batch * _ff), _up.AsSpan(0, batch * _ff), bf16);
                    _project.Input(Prepare(_gateUp, _ff, batch, bf16), _ff);
                    _project.Add(block.DownWeight, _out, _width);
                    workers.Run(_project, _project.Chunks, _project.Parallel);
                    CpuKernels.AddInPlace(_x.AsSpan(0, batch * _width), _out.AsSpan(0, batch * _width), bf16);
                }

                RmsNorm(_x, transformer.NormWeight, _h, batch, bf16);
                Tensor logits = lastOnly
                    ? torch.empty(new long[] { batch, _vocab }, dtype: ScalarType.Float32)     // (B, V)
                    : torch.empty(new long[] { batch, 1, _vocab }, dtype: ScalarType.Float32); // (B, 1, V)
                _project.Input(Prepare(_h, _width, batch, bf16), _width);
                _project.Add(headWeight, logits, _vocab);
                workers.Run(_project, _project.Chunks, _project.Parallel);
                _project.End();
                cache.Commit(step);
                return logits;
            }
        }

        /// <summary>
        /// A region reading fewer bytes than this runs on one thread: splitting it costs about as much as it saves (a
        /// wake-up and a wait of a few microseconds against ~10 us of work). Tests set 0 to split every region.
        /// </summary>
        internal static long ParallelBytes { get; set; } = 512 * 1024;

        // Keys and values the attention of a step reads.
        private long AttentionBytes(CacheStep step, bool bf16)
        {
            long positions = 0;
            foreach (long start in step.Starts)
            {
                positions += start + 1;
            }
            return positions * _kvHeads * _headDim * 2 * (bf16 ? 2 : 4);
        }

        /// <summary>Stops the helper threads.</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                _workers?.Dispose();
                _workers = null;
            }
        }

        // Threads follow torch.set_num_threads (at most one per core): --threads 1 decodes on the calling thread alone.
        private CpuWorkers Workers()
        {
            int threads = Math.Clamp(torch.get_num_threads(), 1, Environment.ProcessorCount);
            if (_workers is null || _workers.Threads != threads)
            {
                _workers?.Dispose();
                _workers = new CpuWorkers(threads);
            }
            return _workers;
        }

        private void Ensure(int batch, int maxSequence)
        {
            if (batch > _rows)
            {
                int widest = Math.Max(Math.Max(_width, _ff), _heads * _headDim);
                _x = new float[batch * _width];
                _h = new float[batch * widest];
                _split = new float[batch * widest];
                _q = new float[batch * _heads * _headDim];
                _k = new float[batch * _kvHeads * _headDim];
                _v = new float[batch * _kvHeads * _headDim];
                _attn = new float[batch * _heads * _headDim];
                _out = new float[batch * _width];
                _up = new float[batch * _ff];
                _gateUp = new float[batch * _ff];
                _ids = new long[batch];
                _rows = batch;
            }
            _attend.Ensure(maxSequence, Environment.ProcessorCount);
        }

        private void ReadIds(Tensor inputIds, int batch)
        {
            using Tensor ids = inputIds.is_contiguous() ? inputIds.alias() : inputIds.contiguous();
            if (ids.dtype == ScalarType.Int64)
            {
                MemoryMarshal.Cast<byte, long>(ids.bytes).Slice(0, batch).CopyTo(_ids);
            }
            else
            {
                ReadOnlySpan<int> values = MemoryMarshal.Cast<byte, int>(ids.bytes);
                for (int b = 0; b < batch; b++)
                {
                    _ids[b] = values[b];
                }
            }
            for (int b = 0; b < batch; b++)
            {
                if (_ids[b] < 0 || _ids[b] >= _vocab)
                {
                    throw new ArgumentOutOfRangeException(nameof(inputIds), _ids[b], $"token id {_ids[b]} (row {b}) is outside the vocabulary (vocab_size {_vocab})");
                }
            }
        }

        private void Embed(Tensor embedding, int batch, bool bf16)
        {
            for (int b = 0; b < batch; b++)
            {
                Span<float> row = _x.AsSpan(b * _width, _width);
                int at = checked((int)_ids[b] * _width);
                if (bf16)
                {
                    ReadOnlySpan<ushort> source = MemoryMarshal.Cast<byte, ushort>(embedding.bytes).Slice(at, _width);
                    for (int i = 0; i < _width; i++)
                    {
                        row[i] = CpuKernels.FromBf16Bits(source[i]);
                    }
                }
                else
                {
                    MemoryMarshal.Cast<byte, float>(embedding.bytes).Slice(at, _width).CopyTo(row);
                }
            }
        }

        // Hugging Face's LlamaRMSNorm as RmsNorm computes it: x * rsqrt(mean(x^2) + eps) in float32, stored in the
        // model's dtype, then times the weight (another rounding in bfloat16).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RmsNorm(float[] x, Tensor weight, float[] into, int batch, bool bf16)
        {
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> row = x.AsSpan(b * _width, _width);
                Span<float> to = into.AsSpan(b * _width, _width);
                float variance = CpuKernels.SumOfSquares(row) / _width;
                float r = 1f / MathF.Sqrt(variance + _eps);
                if (bf16)
                {
                    CpuKernels.ScaleRow(row, r, MemoryMarshal.Cast<byte, ushort>(weight.bytes), to);
                }
                else
                {
                    CpuKernels.ScaleRow(row, r, MemoryMarshal.Cast<byte, float>(weight.bytes), to);
                }
            }
        }

        // The bfloat16 kernels read their input split into even and odd elements; float32 ones read it as it is.
        private float[] Prepare(float[] input, int cols, int batch, bool bf16)
        {
            if (!bf16)
            {
                return input;
            }
            CpuKernels.SplitEvenOdd(input, cols, batch, cols, _split);
            return _split;
        }

        // Rotary positions on q and k (rotate-half), as RotaryEmbedding.Apply computes them: x * cos + rotate_half(x) * sin,
        // each product and the sum stored in the model's dtype (tables rounded to it too).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Rotate(RotaryEmbedding rotary, CacheStep step, int batch, bool bf16)
        {
            ReadOnlySpan<float> cosTable = MemoryMarshal.Cast<byte, float>(rotary.CosTable.bytes);
            ReadOnlySpan<float> sinTable = MemoryMarshal.Cast<byte, float>(rotary.SinTable.bytes);
            for (int b = 0; b < batch; b++)
            {
                int position = checked((int)step.Starts[b]);
                ReadOnlySpan<float> cos = cosTable.Slice(position * _headDim, _headDim);
                ReadOnlySpan<float> sin = sinTable.Slice(position * _headDim, _headDim);
                for (int h = 0; h < _heads; h++)
                {
                    CpuKernels.Rotate(_q.AsSpan((b * _heads + h) * _headDim, _headDim), cos, sin, bf16);
                }
                for (int h = 0; h < _kvHeads; h++)
                {
                    CpuKernels.Rotate(_k.AsSpan((b * _kvHeads + h) * _headDim, _headDim), cos, sin, bf16);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void StoreKeysValues(KvCache cache, int layer, CacheStep step, int batch, bool bf16)
        {
            Tensor keys = cache.KeysOf(layer), values = cache.ValuesOf(layer); // (maxBatch, kv_heads, maxSeq, head_dim) each
            int maxSequence = cache.MaxSequence;
            for (int b = 0; b < batch; b++)
            {
                int slot = checked((int)step.Slots[b]), position = checked((int)step.Starts[b]);
                for (int g = 0; g < _kvHeads; g++)
                {
                    int at = ((slot * _kvHeads + g) * maxSequence + position) * _headDim;
                    ReadOnlySpan<float> k = _k.AsSpan((b * _kvHeads + g) * _headDim, _headDim);
                    ReadOnlySpan<float> v = _v.AsSpan((b * _kvHeads + g) * _headDim, _headDim);
                    if (bf16)
                    {
                        Span<ushort> kTo = MemoryMarshal.Cast<byte, ushort>(keys.bytes).Slice(at, _headDim);
                        Span<ushort> vTo = MemoryMarshal.Cast<byte, ushort>(values.bytes).Slice(at, _headDim);
                        for (int i = 0; i < _headDim; i++)
                        {
                            kTo[i] = CpuKernels.ToBf16Bits(k[i]);
                            vTo[i] = CpuKernels.ToBf16Bits(v[i]);
                        }
                    }
                    else
                    {
                        k.CopyTo(MemoryMarshal.Cast<byte, float>(keys.bytes).Slice(at, _headDim));
                        v.CopyTo(MemoryMarshal.Cast<byte, float>(values.bytes).Slice(at, _headDim));
                    }
                }
            }
        }

        /// <summary>
        /// output[b, :rows] = weight (rows, cols) @ input[b, :cols] for up to three weights sharing an input (q, k
        /// and v; gate and up), rounded to bfloat16 for bfloat16 weights; a chunk is a range of one weight's rows.
        /// </summary>
        private sealed class ProjectJob : IChunkJob
        {
            private readonly Tensor?[] _weights = new Tensor?[3];
            private readonly float[]?[] _outputs = new float[]?[3];
            private readonly Tensor?[] _outputTensors = new Tensor?[3];
            private readonly int[] _rows = new int[3];
            private readonly int[] _firstChunk = new int[4];
            private readonly int[] _rowsPerChunk = new int[3];
            private float[] _input = Array.Empty<float>();
            private int _cols, _count, _threads, _batch;
            private long _bytes;
            private bool _bf16;
            private uint _sink;

            public int Chunks => _firstChunk[_count];

            /// <summary>Whether the products of this region read enough weights to be worth splitting over threads.</summary>
            public bool Parallel => _threads > 1 && _bytes * Math.Max(1, _batch / 2) >= ParallelBytes;

            public void Begin(int threads, int batch, bool bf16)
            {
                _threads = threads;
                _batch = batch;
                _bf16 = bf16;
                _count = 0;
            }

            public void Input(float[] input, int cols)
            {
                _input = input;
                _cols = cols;
                _count = 0;
                _bytes = 0;
            }

            public void Add(Tensor weight, float[] output, int rows) => Add(weight, output, null, rows);

            public void Add(Tensor weight, Tensor output, int rows) => Add(weight, null, output, rows);

            public void End()
            {
                Array.Clear(_weights);
                Array.Clear(_outputs);
                Array.Clear(_outputTensors);
                _input = Array.Empty<float>();
            }

            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public void Run(int chunk, int worker)
            {
                int m = 0;
                while (chunk >= _firstChunk[m + 1])
                {
                    m++;
                }
                int rows = _rows[m];
                int start = (chunk - _firstChunk[m]) * _rowsPerChunk[m];
                int end = Math.Min(rows, start + _rowsPerChunk[m]);
                Tensor weight = _weights[m]!;
                Span<float> output = _outputs[m] is { } array ? array : MemoryMarshal.Cast<byte, float>(_outputTensors[m]!.bytes);
                if (_bf16)
                {
                    ReadOnlySpan<ushort> w = MemoryMarshal.Cast<byte, ushort>(weight.bytes);
                    CheckShape(w.Length, rows, _cols);
                    _sink = CpuKernels.MatVecBf16(w, _cols, _input, _cols, _batch, output, rows, start, end);
                    for (int b = 0; b < _batch; b++)
                    {
                        CpuKernels.RoundBf16(output.Slice(b * rows + start, end - start));
                    }
                }
                else
                {
                    ReadOnlySpan<float> w = MemoryMarshal.Cast<byte, float>(weight.bytes);
                    CheckShape(w.Length, rows, _cols);
                    _sink = CpuKernels.MatVecF32(w, _cols, _input, _cols, _batch, output, rows, start, end);
                }
            }

            private void Add(Tensor weight, float[]? output, Tensor? outputTensor, int rows)
            {
                // Chunks of whole 4-row blocks, about four per thread, so a thread that starts late finds work left
                // and the others do not wait long for the last chunk.
                const int align = 4;
                int perChunk = _threads == 1 ? rows : Math.Max(16, (rows + _threads * 4 - 1) / (_threads * 4));
                _bytes += (long)rows * _cols * (_bf16 ? 2 : 4);
                perChunk = (perChunk + align - 1) / align * align;
                _weights[_count] = weight;
                _outputs[_count] = output;
                _outputTensors[_count] = outputTensor;
                _rows[_count] = rows;
                _rowsPerChunk[_count] = perChunk;
                _firstChunk[_count + 1] = _firstChunk[_count] + (rows + perChunk - 1) / perChunk;
                _count++;
            }

            private static void CheckShape(int elements, int rows, int cols)
            {
                if (elements != rows * cols)
                {
                    throw new InvalidOperationException($"a weight holds {elements} values where ({rows}, {cols}) was expected");
                }
            }
        }

        /// <summary>
        /// softmax(q k^T / sqrt(head_dim)) v over each row's positions 0..start (its own new key included), query
        /// head h reading key/value head h / groups; the output stored in the model's dtype. A chunk is one query
        /// head of one row.
        /// </summary>
        private sealed class AttendJob : IChunkJob
        {
            private readonly CpuDecoder _owner;
            private float[][] _scores = Array.Empty<float[]>(); // per thread
            private KvCache? _cache;
            private CacheStep? _step;
            private int _layer;
            private bool _bf16;

            public AttendJob(CpuDecoder owner) => _owner = owner;

            public void Ensure(int maxSequence, int threads)
            {
                if (_scores.Length < threads || _scores[0].Length < maxSequence)
                {
                    _scores = new float[threads][];
                    for (int i = 0; i < threads; i++)
                    {
                        _scores[i] = new float[maxSequence];
                    }
                }
            }

            public void Begin(KvCache cache, int layer, CacheStep step, bool bf16)
            {
                _cache = cache;
                _layer = layer;
                _step = step;
                _bf16 = bf16;
            }

            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public void Run(int chunk, int worker)
            {
                CpuDecoder d = _owner;
                KvCache cache = _cache!;
                CacheStep step = _step!;
                int b = chunk / d._heads, h = chunk % d._heads;
                int slot = checked((int)step.Slots[b]), length = checked((int)step.Starts[b]) + 1;
                int first = (slot * d._kvHeads + h / d._groups) * cache.MaxSequence * d._headDim;
                Span<float> scores = _scores[worker].AsSpan(0, length);
                ReadOnlySpan<float> q = d._q.AsSpan((b * d._heads + h) * d._headDim, d._headDim);
                Span<float> output = d._attn.AsSpan((b * d._heads + h) * d._headDim, d._headDim);
                Tensor keys = cache.KeysOf(_layer), values = cache.ValuesOf(_layer);
                float max, sum;
                if (_bf16)
                {
                    max = CpuKernels.Scores(q, MemoryMarshal.Cast<byte, ushort>(keys.bytes).Slice(first, length * d._headDim), d._scale, scores);
                    sum = CpuKernels.ExpShifted(scores, max);
                    CpuKernels.WeightedSum(scores, MemoryMarshal.Cast<byte, ushort>(values.bytes).Slice(first, length * d._headDim), output);
                }
                else
                {
                    max = CpuKernels.Scores(q, MemoryMarshal.Cast<byte, float>(keys.bytes).Slice(first, length * d._headDim), d._scale, scores);
                    sum = CpuKernels.ExpShifted(scores, max);
                    CpuKernels.WeightedSum(scores, MemoryMarshal.Cast<byte, float>(values.bytes).Slice(first, length * d._headDim), output);
                }
                CpuKernels.Scale(output, 1f / sum, _bf16);
            }
        }
    }
}
