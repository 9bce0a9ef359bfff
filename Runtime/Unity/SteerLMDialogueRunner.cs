#nullable enable

using System;
using System.IO;
using SteerLM.Npc.Dialogue;
using SteerLM.Npc.Hosting;
using SteerLM.Npc.Steering;
using UnityEngine;

namespace SteerLM.Npc.Unity
{
    /// <summary>
    /// Runs the dialogue worker for a scene: starts it when the scene loads (so the first line is not slow), pumps the
    /// dialogue service every frame within a small budget, and ends the worker when the scene or the game ends. Put one in
    /// the scene and call <see cref="Say"/> with an <see cref="NpcCharacter"/>.
    /// </summary>
    [AddComponentMenu("SteerLM/Dialogue Runner")]
    [HelpURL("https://github.com/steerlm-npc/steerlm-npc/blob/main/README.md")]
    [DisallowMultipleComponent]
    public sealed class SteerLMDialogueRunner : MonoBehaviour
    {
        [SerializeField, Tooltip("The worker executable: an absolute path, or a path under StreamingAssets.")]
        private string workerExecutable = "SteerLM.Npc/Worker/SteerLM.Npc.Worker";

        [SerializeField, Tooltip("The model directory: an absolute path, or a path under StreamingAssets.")]
        private string modelDirectory = "SteerLM.Npc/Models/default";

        [SerializeField, Range(0.05f, 4f), Tooltip("Milliseconds per frame the dialogue service may spend applying answers.")]
        private float pumpBudgetMilliseconds = 0.1f;

        private WorkerHost? _host;
        private DialogueService? _service;

        /// <summary>Whether the worker is started and the service can take lines.</summary>
        public bool IsReady => _service != null && _host != null && _host.IsReady;

        /// <summary>The dialogue service, once ready.</summary>
        public DialogueService? Service => _service;

        /// <summary>Asks a character for a reply; null (with a warning) when the worker is not ready yet.</summary>
        public DialogueRequest? Say(NpcCharacter character, string playerLine, SayOptions? options = null)
        {
            if (_service == null || character == null || !character.IsReady)
            {
                Debug.LogWarning("SteerLM: the dialogue worker or the character is not ready yet.", this);
                return null;
            }

            return _service.Say(character.Profile, character.Mood, playerLine, options);
        }

        private async void Start()
        {
            var options = new WorkerHostOptions(Resolve(workerExecutable), Array.Empty<string>(), Resolve(modelDirectory))
                .WithPidFile(Path.Combine(Application.temporaryCachePath, "steerlm-worker.pid"))
                .WithExpectedSchema(AttributeSchemas.Npc);
            var host = new WorkerHost(options);
            host.Log += line => Debug.Log("SteerLM: " + line);
            try
            {
                // Off the main thread: ending an orphan, starting the process and the handshake must not stall a frame.
                await System.Threading.Tasks.Task.Run(() => host.StartAsync());
            }
            catch (Exception e)
            {
                Debug.LogError("SteerLM: the dialogue worker did not start: " + e.Message, this);
                host.Dispose();
                return;
            }

            if (this == null)
            {
                host.Dispose(); // the scene ended while the worker was starting
                return;
            }

            _host = host;
            _service = new DialogueService(host);
        }

        private void Update() => _service?.Pump(pumpBudgetMilliseconds);

        private void OnDestroy()
        {
            // Disposing waits for the worker to stop: do it off the main thread so leaving a scene never freezes a frame.
            var host = _host;
            _host = null;
            _service = null;
            if (host != null)
            {
                System.Threading.Tasks.Task.Run(host.Dispose);
            }
        }

        private static string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(Application.streamingAssetsPath, path);
    }
}
