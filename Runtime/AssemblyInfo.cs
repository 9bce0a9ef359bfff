#nullable enable

using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("SteerLM.Npc.Tests")]
[assembly: InternalsVisibleTo("SteerLM.Npc.Editor")]
[assembly: InternalsVisibleTo("SteerLM.Npc.Unity")]
[assembly: InternalsVisibleTo("SteerLM.Npc.Worker")]
[assembly: InternalsVisibleTo("SteerLM.Npc.Worker.Tests")]
[assembly: InternalsVisibleTo("SteerLM.Npc.Training")]
