using System;
using System.Diagnostics;
using NUnit.Framework;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    /// <summary>
    /// Speed of the Small preset on this machine. A benchmark, not a test: it prints and never fails on time.
    /// Run with: dotnet test ... --filter "FullyQualifiedName~ModelSpeedBenchmark" (STEERLM_BENCH_THREADS=N sets the
    /// threads; STEERLM_CPU_DECODER=0 times the libtorch tensor code instead of the CPU decode path).
    /// </summary>
    [TestFixture]
    [Explicit("benchmark: prints timings")]
    public sealed class ModelSpeedBenchmark
    {
        [TestCase(ScalarType.BFloat16, 1)]
        [TestCase(ScalarType.Float32, 1)]
        [TestCase(ScalarType.Float32, 4)]
        [TestCase(ScalarType.BFloat16, 8)]
        [TestCase(ScalarType.Float32, 8)]
        public void DecodeStep_OfTheSmallPreset_At200Tokens(ScalarType dtype, int batch)
        {
            const int context = 200, warmup = 50, steps = 200; // warm-up past the JIT's tiering
            if (int.TryParse(Environment.GetEnvironmentVariable("STEERLM_BENCH_THREADS"), out int threads))
            {
                torch.set_num_threads(threads);
            }
            using var model = new LlamaModel(LlamaConfig.Small, dtype, torch.CPU, seed: 1);
            using var cache = KvCache.For(model, maxBatch: batch, maxSequence: 512);
            using var inference = torch.inference_mode();

            var prefill = Stopwatch.StartNew();
            for (int b = 0; b < batch; b++)
            {
                using DisposeScope scope = torch.NewDisposeScope();
                model.Forward(TestModels.Tokens(context, 8000, seed: b), cache, new long[] { b }, lastOnly: true);
            }
            prefill.Stop();

            var slots = new long[batch];
            for (int b = 0; b < batch; b++)
            {
                slots[b] = b;
            }
            double total = 0;
            TimeSpan cpuStart = TimeSpan.Zero;
            for (int i = 0; i < warmup + steps; i++)
            {
                if (i == warmup)
                {
                    // Measure every step at the same context length: roll the cache back to 200 tokens.
                    total = 0;
                    cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                }
                for (int b = 0; b < batch; b++)
                {
                    cache.Truncate(b, context);
                }
                using DisposeScope scope = torch.NewDisposeScope();
                Tensor next = TestModels.Tokens(1, 8000, seed: i, batch: batch);
                var watch = Stopwatch.StartNew();
                Tensor logits = model.Forward(next, cache, slots, lastOnly: true); // (B, V)
                logits.argmax(-1).data<long>().ToArray();                           // wait for the result, as a sampler would
                watch.Stop();
                total += watch.Elapsed.TotalMilliseconds;
            }
            // CPU time is less disturbed than wall time when other processes share the cores.
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds;

            TestContext.Out.WriteLine(
                $"Small preset ({model.ParameterCount():N0} parameters), {dtype}, batch {batch}, {torch.get_num_threads()} threads: " +
                $"decode step at {context} tokens {total / steps:F2} ms wall, {cpu / steps:F2} ms CPU ({batch * 1000.0 * steps / total:F0} tokens/s); " +
                $"prefill of {context} tokens {prefill.Elapsed.TotalMilliseconds / batch:F1} ms per row");
        }
    }
}
