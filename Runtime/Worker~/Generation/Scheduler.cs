using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using SteerLM.Npc.Worker.Model;
using SteerLM.Npc.Worker.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Generation
{
    /// <summary>
    /// Runs generation requests with continuous batching: every step decodes one token for all live sequences in one
    /// forward pass; a request joins (prefill into a free cache slot) or leaves between steps. Submit from any thread;
    /// the steps run on one thread, either the scheduler's own (<see cref="Start"/>) or the caller's
    /// (<see cref="RunUntilIdle"/>). Text callbacks run on the stepping thread.
    /// </summary>
    public sealed class Scheduler : IDisposable
    {
        private readonly LlamaModel _model;
        private readonly NpcTokenizer _tokenizer;
        private readonly KvCache _cache;
        private readonly PendingQueue _pending = new PendingQueue();
        private readonly ConcurrentQueue<Action> _modelWork = new ConcurrentQueue<Action>();
        private readonly Sequence?[] _slots;
        private readonly List<Sequence> _live = new List<Sequence>();
        private readonly HashSet<int> _endTokens;
        private readonly SemaphoreSlim _wake = new SemaphoreSlim(0);
        private float[] _logits = Array.Empty<float>();
        private long[] _stepIds = Array.Empty<long>();
        private long[] _stepSlots = Array.Empty<long>();
        private Thread? _thread;
        private volatile bool _stopping;
        private long _lastStepTicks = Stopwatch.GetTimestamp();

        /// <summary>Creates a scheduler over a model and its tokenizer.</summary>
        /// <param name="model">The model; the scheduler runs it on one thread only.</param>
        /// <param name="tokenizer">Its tokenizer (for the stop tokens and streaming text).</param>
        /// <param name="maxBatch">Most sequences decoded together; more requests wait their turn.</param>
        /// <param name="contextLength">Tokens per sequence (prompt and reply); the model's maximum when null.</param>
        public Scheduler(LlamaModel model, NpcTokenizer tokenizer, int maxBatch = 16, int? contextLength = null)
        {
            _model = model ?? throw new ArgumentNullException(nameof(model));
            _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
            if (maxBatch < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be at least 1.");
            }

            ContextLength = contextLength ?? model.Config.MaxPositionEmbeddings;
            if (ContextLength < 2 || ContextLength > model.Config.MaxPositionEmbeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength,
                    $"The context length must lie in 2..{model.Config.MaxPositionEmbeddings} (max_position_embeddings).");
            }

            _cache = KvCache.For(model, maxBatch, ContextLength);
            _slots = new Sequence?[maxBatch];
            _endTokens = new HashSet<int>(model.Config.EosTokenIds) { tokenizer.TurnTokenId, tokenizer.EosId };
        }

        /// <summary>Tokens per sequence, prompt included.</summary>
        public int ContextLength { get; }

        /// <summary>Most sequences decoded together.</summary>
        public int MaxBatch => _slots.Length;

        /// <summary>Requests waiting for a slot.</summary>
        public int PendingCount => _pending.Count;

        /// <summary>Sequences being decoded.</summary>
        public int LiveCount => _live.Count;

        /// <summary>
        /// Whether the stepping thread is stuck: it has work (live, pending or queued requests) but has not finished a step for
        /// <paramref name="limit"/>. A stuck worker stops answering pings, so its host restarts it.
        /// </summary>
        public bool IsStalled(TimeSpan limit)
        {
            var hasWork = _live.Count > 0 || !_pending.IsEmpty || !_modelWork.IsEmpty;
            var since = Stopwatch.GetTimestamp() - Volatile.Read(ref _lastStepTicks);
            return hasWork && since > limit.TotalSeconds * Stopwatch.Frequency;
        }

        /// <summary>Bytes held by the key/value cache.</summary>
        public long CacheBytes => _cache.SizeInBytes;

        /// <summary>Queues a request; the task completes when it ends (it never faults: errors come back as results).</summary>
        public Task<GenerationResult> Submit(GenerationRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            if (_stopping)
            {
                throw new ObjectDisposedException(nameof(Scheduler));
            }

            var sequence = new Sequence(request, _model.Config.VocabSize, _tokenizer);
            _pending.Enqueue(sequence, request.Priority);
            if (_stopping)
            {
                // Dispose ran between the check above and the enqueue: nobody will step this request.
                sequence.Completion.TrySetResult(sequence.Result(FinishReason.Cancelled, null));
                return sequence.Completion.Task;
            }

            _wake.Release();
            return sequence.Completion.Task;
        }

        /// <summary>Runs one request to its end on the calling thread (with whatever else is queued).</summary>
        public GenerationResult Generate(GenerationRequest request)
        {
            if (_thread != null)
            {
                return Submit(request).GetAwaiter().GetResult();
            }

            var task = Submit(request);
            RunUntilIdle();
            return task.GetAwaiter().GetResult();
        }

        /// <summary>Steps on the calling thread until nothing is pending or live. Not with <see cref="Start"/>.</summary>
        public void RunUntilIdle()
        {
            if (_thread != null)
            {
                throw new InvalidOperationException("The scheduler runs on its own thread; submit requests and await them.");
            }

            while (Step())
            {
            }
        }

        /// <summary>Starts the scheduler's own stepping thread.</summary>
        public void Start()
        {
            if (_thread != null)
            {
                return;
            }

            _thread = new Thread(Loop) { IsBackground = true, Name = "SteerLM scheduler" };
            _thread.Start();
        }

        /// <summary>Stops the thread; requests still queued or live end as cancelled.</summary>
        public void Dispose()
        {
            _stopping = true;
            _wake.Release();
            _thread?.Join();
            foreach (var sequence in _live.ToArray())
            {
                Finish(sequence, FinishReason.Cancelled, null);
            }

            while (_pending.TryDequeue(out var queued) && queued != null)
            {
                queued.Completion.TrySetResult(queued.Result(FinishReason.Cancelled, null));
            }

            _cache.Dispose();
            _wake.Dispose();
        }

        private void Loop()
        {
            while (!_stopping)
            {
                if (!Step())
                {
                    _wake.Wait(50);
                }
            }
        }

        /// <summary>
        /// Runs other work on the model (scoring a line with the APM head) on the stepping thread, between steps, so the model
        /// is never used by two threads at once.
        /// </summary>
        public Task<T> RunOnModelThread<T>(Func<T> work)
        {
            var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _modelWork.Enqueue(() =>
            {
                try
                {
                    done.TrySetResult(work());
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            });
            _wake.Release();
            return done.Task;
        }

        /// <summary>Admits waiting requests into free slots, then decodes one token for every live sequence.</summary>
        /// <returns>Whether work remains.</returns>
        internal bool Step()
        {
            while (_modelWork.TryDequeue(out var work))
            {
                work();
            }

            try
            {
                Admit();
                EndExpired();
                if (_live.Count > 0)
                {
                    DecodeOnce();
                }
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // A failed forward pass poisons every live sequence's cache: end them all with the error and carry on.
                foreach (var sequence in _live.ToArray())
                {
                    Finish(sequence, FinishReason.Error, e.GetBaseException().Message);
                }
            }

            Volatile.Write(ref _lastStepTicks, Stopwatch.GetTimestamp());
            return _live.Count > 0 || !_pending.IsEmpty;
        }

        private void Admit()
        {
            while (_live.Count < _slots.Length && _pending.TryDequeue(out var sequence) && sequence != null)
            {
                var slot = Array.IndexOf(_slots, null);
                sequence.Slot = slot;
                if (Expired(sequence, out var reason))
                {
                    sequence.Completion.TrySetResult(sequence.Result(reason, null));
                    continue;
                }

                var prompt = sequence.Request.PromptIds;
                if (prompt.Count >= ContextLength)
                {
                    sequence.Completion.TrySetResult(sequence.Result(FinishReason.Error,
                        $"The prompt has {prompt.Count} tokens; the context holds {ContextLength} (prompt and reply). Shorten the history or the persona."));
                    continue;
                }

                _slots[slot] = sequence;
                _live.Add(sequence);
                try
                {
                    using var scope = torch.NewDisposeScope();
                    var ids = new long[prompt.Count];
                    for (var i = 0; i < ids.Length; i++)
                    {
                        ids[i] = prompt[i];
                    }

                    _cache.Clear(slot);
                    using var input = torch.tensor(ids, new long[] { 1, ids.Length }, device: _model.Device); // (1, T)
                    var logits = _model.Forward(input, _cache, new long[] { slot }, new long[] { 0 }, lastOnly: true); // (1, V)
                    CopyLogits(logits, 1);
                }
                catch (Exception e) when (!(e is OutOfMemoryException))
                {
                    Finish(sequence, FinishReason.Error, e.GetBaseException().Message);
                    continue;
                }

                Accept(sequence, 0);
            }
        }

        private void EndExpired()
        {
            for (var i = _live.Count - 1; i >= 0; i--)
            {
                var sequence = _live[i];
                if (Expired(sequence, out var reason))
                {
                    Finish(sequence, reason, null);
                }
            }
        }

        private void DecodeOnce()
        {
            var batch = _live.Count;
            if (_stepIds.Length != batch)
            {
                _stepIds = new long[batch];
                _stepSlots = new long[batch];
            }

            for (var b = 0; b < batch; b++)
            {
                _stepIds[b] = _live[b].NextToken;
                _stepSlots[b] = _live[b].Slot;
            }

            using (var scope = torch.NewDisposeScope())
            {
                using var input = torch.tensor(_stepIds, new long[] { batch, 1 }, device: _model.Device); // (B, 1)
                var logits = _model.Forward(input, _cache, _stepSlots, null, lastOnly: true);             // (B, V)
                CopyLogits(logits, batch);
            }

            // Rows were taken from _live before the step; a sequence that finishes leaves _live without shifting them.
            var rows = new Sequence[batch];
            _live.CopyTo(rows);
            for (var b = 0; b < batch; b++)
            {
                Accept(rows[b], b);
            }
        }

        private void CopyLogits(Tensor logits, int rows)
        {
            var vocab = _model.Config.VocabSize;
            if (_logits.Length < rows * vocab)
            {
                _logits = new float[rows * vocab];
            }

            // One block copy of the contiguous float32 logits (TensorAccessor.CopyTo goes element by element: ~50 us
            // for 8000 values, against ~2 us here).
            using var cpu = logits.device_type == DeviceType.CPU ? logits.alias() : logits.cpu();
            using var contiguous = cpu.contiguous();
            MemoryMarshal.Cast<byte, float>(contiguous.bytes).Slice(0, rows * vocab).CopyTo(_logits);
        }

        /// <summary>Samples the next token of a sequence from row <paramref name="row"/> of the step's logits and applies it.</summary>
        private void Accept(Sequence sequence, int row)
        {
            var vocab = _model.Config.VocabSize;
            var token = sequence.Sampler.Sample(new ReadOnlySpan<float>(_logits, row * vocab, vocab), sequence.TokensSpan);
            if (sequence.Generated.Count == 0)
            {
                sequence.FirstToken = Stopwatch.GetTimestamp();
            }

            if (!sequence.Request.IgnoreEndOfTurn && _endTokens.Contains(token))
            {
                Finish(sequence, FinishReason.Stop, null);
                return;
            }

            sequence.Append(token);
            var shown = sequence.Filter.Push(sequence.Decoder.Push(token));
            if (!Emit(sequence, shown))
            {
                return;
            }

            if (sequence.Filter.Stopped)
            {
                Finish(sequence, FinishReason.StopString, null);
            }
            else if (sequence.Generated.Count >= sequence.Request.MaxNewTokens)
            {
                Finish(sequence, FinishReason.Length, null);
            }
            else if (sequence.Request.PromptIds.Count + sequence.Generated.Count >= ContextLength)
            {
                Finish(sequence, FinishReason.ContextFull, null);
            }
            else
            {
                sequence.NextToken = token;
            }
        }

        private bool Emit(Sequence sequence, string text)
        {
            if (text.Length == 0 || sequence.Request.OnText == null)
            {
                return true;
            }

            try
            {
                sequence.Request.OnText(text);
                return true;
            }
            catch (Exception e)
            {
                Finish(sequence, FinishReason.Error, "The text callback failed: " + e.Message, flush: false);
                return false;
            }
        }

        private void Finish(Sequence sequence, FinishReason reason, string? error, bool flush = true)
        {
            if (flush && reason != FinishReason.Error)
            {
                Emit(sequence, sequence.Filter.Push(sequence.Decoder.Flush()) + sequence.Filter.Flush());
            }

            if (sequence.Slot >= 0 && ReferenceEquals(_slots[sequence.Slot], sequence))
            {
                _slots[sequence.Slot] = null;
                _cache.Clear(sequence.Slot);
            }

            _live.Remove(sequence);
            sequence.Completion.TrySetResult(sequence.Result(reason, error));
        }

        private static bool Expired(Sequence sequence, out FinishReason reason)
        {
            if (sequence.Request.CancellationToken.IsCancellationRequested)
            {
                reason = FinishReason.Cancelled;
                return true;
            }

            if (sequence.Request.Deadline is DateTime deadline && DateTime.UtcNow >= deadline)
            {
                reason = FinishReason.Deadline;
                return true;
            }

            reason = default;
            return false;
        }

        /// <summary>Requests waiting for a slot: highest priority first, first come first served within a priority.</summary>
        private sealed class PendingQueue
        {
            private readonly object _gate = new object();
            private readonly SortedDictionary<int, Queue<Sequence>> _byPriority = new SortedDictionary<int, Queue<Sequence>>();
            private int _count;

            public int Count => Volatile.Read(ref _count);

            public bool IsEmpty => Count == 0;

            public void Enqueue(Sequence sequence, int priority)
            {
                lock (_gate)
                {
                    // Stored under the negated priority so that the sorted dictionary's first key is the highest priority.
                    if (!_byPriority.TryGetValue(-priority, out var queue))
                    {
                        _byPriority[-priority] = queue = new Queue<Sequence>();
                    }

                    queue.Enqueue(sequence);
                    _count++;
                }
            }

            public bool TryDequeue(out Sequence? sequence)
            {
                lock (_gate)
                {
                    foreach (var pair in _byPriority)
                    {
                        sequence = pair.Value.Dequeue();
                        if (pair.Value.Count == 0)
                        {
                            _byPriority.Remove(pair.Key);
                        }

                        _count--;
                        return true;
                    }
                }

                sequence = null;
                return false;
            }
        }

        private sealed class Sequence
        {
            private int[] _tokens;
            private int _count;

            public Sequence(GenerationRequest request, int vocabSize, NpcTokenizer tokenizer)
            {
                Request = request;
                // The turn and end tokens sit in every prompt: penalising them as repeats makes lines run on.
                Sampler = new Sampler(vocabSize, request.Settings, stackalloc int[] { tokenizer.TurnTokenId, tokenizer.EosId });
                Decoder = tokenizer.CreateDecoder();
                Filter = new StopStringFilter(request.StopStrings);
                _tokens = new int[request.PromptIds.Count + Math.Min(request.MaxNewTokens, 4096)];
                for (var i = 0; i < request.PromptIds.Count; i++)
                {
                    _tokens[i] = request.PromptIds[i];
                }

                _count = request.PromptIds.Count;
                Started = Stopwatch.GetTimestamp();
            }

            public GenerationRequest Request { get; }

            public TaskCompletionSource<GenerationResult> Completion { get; } =
                new TaskCompletionSource<GenerationResult>(TaskCreationOptions.RunContinuationsAsynchronously);

            public Sampler Sampler { get; }

            public IncrementalDecoder Decoder { get; }

            public StopStringFilter Filter { get; }

            public List<int> Generated { get; } = new List<int>();

            public int Slot { get; set; } = -1;

            public long NextToken { get; set; }

            /// <summary>When the request was submitted: time to first token counts queueing too, as a player feels it.</summary>
            public long Started { get; }

            public long FirstToken { get; set; }

            public ReadOnlySpan<int> TokensSpan => new ReadOnlySpan<int>(_tokens, 0, _count);

            public void Append(int token)
            {
                if (_count == _tokens.Length)
                {
                    Array.Resize(ref _tokens, _tokens.Length * 2);
                }

                _tokens[_count++] = token;
                Generated.Add(token);
            }

            public GenerationResult Result(FinishReason reason, string? error)
            {
                var now = Stopwatch.GetTimestamp();
                var ttft = FirstToken == 0 ? -1 : Milliseconds(FirstToken - Started);
                return new GenerationResult(Filter.Text, Generated.ToArray(), reason, Request.PromptIds.Count, ttft,
                    Milliseconds(now - Started), Sampler.Seed, error);
            }

            private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        }
    }
}
