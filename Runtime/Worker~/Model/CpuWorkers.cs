using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>One parallel region's work: chunks 0..n-1, each run once, by any thread.</summary>
    internal interface IChunkJob
    {
        /// <summary>Runs chunk <paramref name="chunk"/>; <paramref name="worker"/> (0 = the calling thread) picks per-thread scratch.</summary>
        void Run(int chunk, int worker);
    }

    /// <summary>
    /// Helper threads for <see cref="CpuDecoder"/>: the calling thread and the helpers claim the chunks of a region
    /// one at a time, so a helper that the OS has not scheduled simply claims nothing and the caller does the work
    /// (it only ever waits for chunks a helper has started). Helpers spin for a short while after a region, then sleep.
    /// <para>
    /// When the cores are shared with other busy processes, a helper is sometimes descheduled in the middle of a
    /// chunk and the caller waits for it for a whole time slice (milliseconds, where a decode step takes one). After
    /// such a wait the caller works alone for a while (<see cref="SoloTicks"/>), then tries the helpers again.
    /// </para>
    /// </summary>
    internal sealed class CpuWorkers : IDisposable
    {
        // How long an idle helper spins (yielding) before it sleeps: longer than the gaps between the regions of a
        // decode step, short enough that it sleeps between steps and never spins long on a core others need.
        private static readonly long SpinTicks = Stopwatch.Frequency / 20000; // 50 us

        // A wait for helpers longer than this means one was descheduled (a chunk takes microseconds, a wake-up tens).
        private static readonly long StallTicks = Stopwatch.Frequency / 1000; // 1 ms

        // How long the caller then works alone.
        private static readonly long SoloTicks = Stopwatch.Frequency / 4; // 250 ms

        private readonly Thread[] _helpers;
        private readonly SemaphoreSlim _wake = new SemaphoreSlim(0);
        private IChunkJob? _job;
        private int _chunks;
        private long _claim;      // (generation << 32) | next chunk
        private int _finished;    // chunks of this generation finished by helpers
        private int _sleepers;
        private int _generation;
        private volatile bool _stopping;
        private Exception? _failure;
        private long _soloUntil;

        public CpuWorkers(int threads)
        {
            Threads = Math.Max(1, threads);
            _helpers = new Thread[Threads - 1];
            for (int i = 0; i < _helpers.Length; i++)
            {
                int index = i + 1;
                _helpers[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"SteerLM decode {index}" };
                _helpers[i].Start();
            }
        }

        /// <summary>Threads that run a region, the caller's included.</summary>
        public int Threads { get; }

        /// <summary>
        /// Runs chunks 0..<paramref name="chunks"/>-1 of <paramref name="job"/> on the caller and the helpers (on the
        /// caller alone when not <paramref name="parallel"/>); returns when all are done.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(IChunkJob job, int chunks, bool parallel = true)
        {
            if (chunks <= 0)
            {
                return;
            }
            if (!parallel || _helpers.Length == 0 || chunks == 1 || Stopwatch.GetTimestamp() < _soloUntil)
            {
                for (int c = 0; c < chunks; c++)
                {
                    job.Run(c, 0);
                }
                return;
            }

            int generation = unchecked(_generation + 1);
            _generation = generation;
            _job = job;
            _chunks = chunks;
            _failure = null;
            Volatile.Write(ref _finished, 0);
            Interlocked.Exchange(ref _claim, (long)generation << 32); // publishes the fields above
            int sleepers = Volatile.Read(ref _sleepers);
            if (sleepers > 0)
            {
                _wake.Release(sleepers);
            }

            int mine = 0;
            for (int c = Claim(generation); c >= 0; c = Claim(generation))
            {
                // Every claimed chunk runs, failing or not: the caller returns only when no helper is still writing.
                try
                {
                    job.Run(c, 0);
                }
                catch (Exception e)
                {
                    _failure ??= e;
                }
                mine++;
            }
            if (Volatile.Read(ref _finished) + mine < chunks)
            {
                long waitStart = Stopwatch.GetTimestamp();
                var spin = new SpinWait();
                while (Volatile.Read(ref _finished) + mine < chunks)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
                long now = Stopwatch.GetTimestamp();
                if (now - waitStart > StallTicks)
                {
                    _soloUntil = now + SoloTicks;
                }
            }
            _job = null;
            if (_failure is { } failure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
        }

        public void Dispose()
        {
            _stopping = true;
            if (_helpers.Length > 0)
            {
                _wake.Release(_helpers.Length);
            }
            foreach (Thread helper in _helpers)
            {
                helper.Join();
            }
            _wake.Dispose();
        }

        // The next unclaimed chunk of this generation, or -1 (all claimed, or a newer region has begun).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int Claim(int generation)
        {
            long current = Volatile.Read(ref _claim);
            while (true)
            {
                if ((int)(current >> 32) != generation || (int)current >= _chunks)
                {
                    return -1;
                }
                long seen = Interlocked.CompareExchange(ref _claim, current + 1, current);
                if (seen == current)
                {
                    return (int)current;
                }
                current = seen;
            }
        }

        private void Loop(int worker)
        {
            int seen = 0;
            while (!_stopping)
            {
                int generation = (int)(Volatile.Read(ref _claim) >> 32);
                if (generation == seen)
                {
                    Idle(seen);
                    continue;
                }
                seen = generation;
                IChunkJob? job = _job;
                if (job is null)
                {
                    continue;
                }
                for (int c = Claim(generation); c >= 0; c = Claim(generation))
                {
                    try
                    {
                        job.Run(c, worker);
                    }
                    catch (Exception e)
                    {
                        _failure = e;
                    }
                    Interlocked.Increment(ref _finished);
                }
            }
        }

        // Spins until a new region or SpinTicks pass, then sleeps until woken.
        private void Idle(int seen)
        {
            long start = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Stopwatch.GetTimestamp() - start < SpinTicks)
            {
                if ((int)(Volatile.Read(ref _claim) >> 32) != seen || _stopping)
                {
                    return;
                }
                spin.SpinOnce(sleep1Threshold: -1);
            }
            Interlocked.Increment(ref _sleepers);
            try
            {
                if ((int)(Volatile.Read(ref _claim) >> 32) == seen && !_stopping)
                {
                    _wake.Wait();
                }
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
        }
    }
}
