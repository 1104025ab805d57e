namespace ConvNet.Data.Transforms;

/// <summary>
/// The random numbers of one transform of one sample in one epoch: a SplitMix64 stream seeded by a fixed mix of
/// (seed, epoch, sample index, transform position), so augmentation is a pure function of those four — the same in
/// every run, on every thread count, and after a resume.
/// </summary>
public struct SampleRandom
{
    private ulong _state;

    /// <summary>The stream for (seed, epoch, sample, transform).</summary>
    /// <param name="seed">The augmentation seed.</param>
    /// <param name="epoch">The 0-based epoch.</param>
    /// <param name="sample">The sample index in the source.</param>
    /// <param name="transform">The transform's position in the pipeline.</param>
    public SampleRandom(int seed, int epoch, int sample, int transform)
    {
        _state = ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)epoch * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)(uint)sample * 0x165667B19E3779F9UL) ^ ((ulong)(uint)transform << 56);
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>The bits.</returns>
    public ulong NextBits()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    /// <param name="maxExclusive">The bound (≥ 1).</param>
    /// <returns>The integer.</returns>
    public int Next(int maxExclusive) => (int)(((NextBits() >> 32) * (ulong)(uint)maxExclusive) >> 32);

    /// <summary>A uniform double in [0, 1).</summary>
    /// <returns>The double.</returns>
    public double NextDouble() => (NextBits() >> 11) * (1.0 / (1UL << 53));
}
