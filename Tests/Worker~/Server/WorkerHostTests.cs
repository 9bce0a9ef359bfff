using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Tests.Generation;

namespace SteerLM.Npc.Worker.Tests.Server
{
    /// <summary>The game side with a real worker: DialogueService over WorkerHost.</summary>
    [NonParallelizable]
    public class WorkerHostTests
    {
        private static WorkerHostOptions Options(string? pidFile = null) =>
            new WorkerHostOptions("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "SteerLM.Npc.Worker.dll") }, TinyModel.Path_)
                .WithServeArguments("--max-batch", "4", "--context", "512")
                .WithExpectedSchema(AttributeSchemas.Npc)
                .WithPidFile(pidFile)
                .WithWatchdog(0.2, 5);

        private static NpcProfile Character(string id) => new NpcProfile(id, new Persona("Character " + id, "a regular"));

        private static void PumpUntil(DialogueService service, Func<bool> done, TimeSpan limit)
        {
            var watch = Stopwatch.StartNew();
            while (!done())
            {
                if (watch.Elapsed > limit)
                {
                    Assert.Fail($"not done within {limit.TotalSeconds} s");
                }

                service.Pump(1);
                Thread.Sleep(5);
            }
        }

        [Test]
        public async Task WorkerKilledMidLine_IsRestarted_AndEveryLineStillCompletes()
        {
            using var host = new WorkerHost(Options());
            await host.StartAsync();
            var service = new DialogueService(host);
            var firstPid = host.ProcessId;
            // Long lines (the random tiny model rarely ends a line early), so they are still being made when the worker dies.
            var options = SayOptions.Default.WithMaxTokens(400).WithTemperature(1.2f).WithTimeout(120);
            var requests = Enumerable.Range(0, 3).Select(i => service.Say(Character("c" + i), new NpcMood(Temperament.Balanced), "Tell me a long story " + i, options)).ToArray();
            var streamed = requests.ToDictionary(r => r, _ => new System.Text.StringBuilder());
            var liveAtKill = -1;
            foreach (var request in requests)
            {
                request.TextReceived += (r, piece) =>
                {
                    streamed[r].Append(piece);
                    if (liveAtKill < 0)
                    {
                        liveAtKill = requests.Count(x => !x.IsDone);
                        host.KillWorkerForTest(); // mid-line: this line has shown text and has more to come
                    }
                };
            }

            PumpUntil(service, () => liveAtKill >= 0, TimeSpan.FromSeconds(60));
            Assert.That(liveAtKill, Is.EqualTo(3), "every line was still being made when the worker was killed");
            PumpUntil(service, () => requests.All(r => r.IsDone), TimeSpan.FromSeconds(120));

            Assert.That(requests.Select(r => r.Status), Has.All.EqualTo(DialogueStatus.Completed), string.Join("; ", requests.Select(r => r.Error)));
            Assert.That(host.Restarts, Is.GreaterThanOrEqualTo(1));
            Assert.That(host.ProcessId, Is.Not.EqualTo(firstPid));
            foreach (var request in requests)
            {
                Assert.That(streamed[request].ToString(), Is.EqualTo(request.FinalText), "the text streamed to the game equals the final line: the replay neither repeated nor skipped text");
            }
        }

        [Test]
        public async Task SeveralCharactersTalkingAtOnce_AllComplete_AndHistoriesGrow()
        {
            using var host = new WorkerHost(Options());
            await host.StartAsync();
            var service = new DialogueService(host);
            var requests = Enumerable.Range(0, 4)
                .Select(i => service.Say(Character("n" + i), new NpcMood(Temperament.Balanced), "Hello " + i, SayOptions.Default.WithMaxTokens(16)))
                .ToArray();

            PumpUntil(service, () => requests.All(r => r.IsDone), TimeSpan.FromSeconds(60));

            Assert.That(requests.Select(r => r.Status), Has.All.EqualTo(DialogueStatus.Completed));
            Assert.That(service.Histories.For("n2").ToTurns(), Has.Count.EqualTo(2));
            Assert.That(requests.Where(r => r.FinalText!.Length > 0).Select(r => r.FirstTextAt), Has.All.GreaterThanOrEqualTo(0.0));
        }

        [Test]
        public async Task OrphanFromAnEarlierRun_IsEndedOnTheNextStart()
        {
            var pidFile = Path.Combine(Path.GetTempPath(), "steerlm-worker-" + Guid.NewGuid().ToString("N") + ".pid");
            var crashed = new WorkerHost(Options(pidFile));
            await crashed.StartAsync();
            var orphan = Process.GetProcessById(crashed.ProcessId);
            Assert.That(File.Exists(pidFile), Is.True);

            // The "editor" crashes: the host is never disposed, the worker keeps running, the pid file stays.
            using var next = new WorkerHost(Options(pidFile));
            await next.StartAsync();

            Assert.That(orphan.WaitForExit(10_000), Is.True, "the orphan was ended");
            Assert.That(next.ProcessId, Is.Not.EqualTo(orphan.Id));
            next.Dispose();
            Assert.That(File.Exists(pidFile), Is.False, "a clean shutdown removes the pid file");
        }

        [Test]
        public async Task WorkerOfAnotherLiveHost_IsLeftRunning()
        {
            var pidFile = Path.Combine(Path.GetTempPath(), "steerlm-worker-" + Guid.NewGuid().ToString("N") + ".pid");
            using var others = await WorkerLauncher.StartAsync("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "SteerLM.Npc.Worker.dll") }, TinyModel.Path_);
            using var owner = Process.GetProcessById(1); // stands for another running editor: alive, and not this process
            File.WriteAllText(pidFile, string.Join(" ", others.Process.Id, others.Process.StartTime.ToUniversalTime().Ticks,
                owner.Id, owner.StartTime.ToUniversalTime().Ticks));

            using (var host = new WorkerHost(Options(pidFile)))
            {
                await host.StartAsync();
                Assert.That(host.ProcessId, Is.Not.EqualTo(others.Process.Id));
            }

            Assert.That(others.Process.HasExited, Is.False, "another live host's worker was not ended");
        }

        [Test]
        public async Task Dispose_EndsTheWorkerProcess()
        {
            var host = new WorkerHost(Options());
            await host.StartAsync();
            var process = Process.GetProcessById(host.ProcessId);

            host.Dispose();

            Assert.That(process.WaitForExit(10_000), Is.True);
        }
    }
}
