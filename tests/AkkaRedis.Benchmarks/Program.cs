using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AkkaRedis.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run(args);
