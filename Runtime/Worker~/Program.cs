namespace SteerLM.Npc.Worker
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            System.Console.Error.WriteLine("SteerLM.Npc.Worker: not implemented yet");
            return 2;
        }
    }
}
