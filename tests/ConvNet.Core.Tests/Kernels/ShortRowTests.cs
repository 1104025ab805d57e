using System;
using ConvNet.Kernels;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Kernels;

/// <summary>
/// The short-row copy and bias addition against the plain loop, for every length 0 to 40 and source/destination
/// offsets 0 to 3 (the overlapping last vector), with canaries on both sides of the destination row: nothing outside the
/// row is written. CI also runs the kernel tests with 128- and 256-bit vectors only and with none.
/// </summary>
public class ShortRowTests
{
    [Fact]
    public void Copy_and_add_write_exactly_the_row_for_every_length_0_to_40()
    {
        var rng = new Random(3);
        for (int n = 0; n <= 40; n++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                var src = new float[n + 8];
                for (int i = 0; i < src.Length; i++)
                {
                    src[i] = (float)((rng.NextDouble() * 2) - 1);
                }

                float b = (float)rng.NextDouble();
                var copy = Canaried(n + 8);
                var add = Canaried(n + 8);
                ShortRow.Copy(src.AsSpan(offset, n), copy.AsSpan(3, n));
                ShortRow.Add(src.AsSpan(offset, n), b, add.AsSpan(3, n));
                for (int i = 0; i < copy.Length; i++)
                {
                    bool inside = i >= 3 && i < 3 + n;
                    copy[i].Should().Be(inside ? src[offset + i - 3] : -7f, $"copy n={n} offset={offset} i={i}");
                    add[i].Should().Be(inside ? src[offset + i - 3] + b : -7f, $"add n={n} offset={offset} i={i}");
                }
            }
        }
    }

    [Fact]
    public void A_destination_shorter_than_the_row_is_refused()
    {
        var act = () => ShortRow.Copy(new float[9], new float[8]);
        act.Should().Throw<ArgumentException>();
        var add = () => ShortRow.Add(new float[5], 1f, new float[4]);
        add.Should().Throw<ArgumentException>();
    }

    private static float[] Canaried(int length)
    {
        var a = new float[length];
        a.AsSpan().Fill(-7f);
        return a;
    }
}
