using System;

namespace ConvNet.Kernels;

/// <summary>
/// A connection table as a block-sparse product: rows (output feature maps, or input maps for the backward product)
/// in blocks of <see cref="BlockRows"/>, each block multiplying only the channels that at least one of its rows is
/// connected to. The block's weights are packed densely over those channels and its virtual columns are the matching
/// subset of the implicit-GEMM offsets, so unconnected 5×5 (…) blocks are skipped instead of multiplied by zero. A
/// skipped product is an exact zero, so the result has the same bits as the dense product (for finite inputs).
/// </summary>
internal sealed class BlockSparse
{
    /// <summary>Rows per block: the implicit-GEMM micro-kernel's row count.</summary>
    public const int BlockRows = 4;

    private readonly int _cols;
    private readonly int _kvol;
    private readonly int[] _channels;
    private readonly int[] _channelStart;

    /// <summary>Builds the blocks; <paramref name="connected"/>[r, c] says whether row r uses channel c.</summary>
    public BlockSparse(bool[,] connected, int kvol, ReadOnlySpan<int> offsets)
    {
        int rows = connected.GetLength(0);
        _cols = connected.GetLength(1);
        _kvol = kvol;
        Blocks = (rows + BlockRows - 1) / BlockRows;
        RowStart = new int[Blocks + 1];
        K = new int[Blocks];
        WeightStart = new int[Blocks + 1];
        OffsetStart = new int[Blocks + 1];
        _channelStart = new int[Blocks + 1];
        var channels = new System.Collections.Generic.List<int>();
        long used = 0;
        for (int b = 0; b < Blocks; b++)
        {
            int r0 = b * BlockRows, r1 = Math.Min(rows, r0 + BlockRows);
            RowStart[b] = r0;
            _channelStart[b] = channels.Count;
            for (int c = 0; c < _cols; c++)
            {
                for (int r = r0; r < r1; r++)
                {
                    if (connected[r, c])
                    {
                        channels.Add(c);
                        break;
                    }
                }
            }

            int count = channels.Count - _channelStart[b];
            K[b] = count * kvol;
            used += (long)(r1 - r0) * count;
            WeightStart[b + 1] = WeightStart[b] + ((r1 - r0) * K[b]);
            OffsetStart[b + 1] = OffsetStart[b] + K[b];
        }

        RowStart[Blocks] = rows;
        _channelStart[Blocks] = channels.Count;
        _channels = channels.ToArray();
        Offsets = new int[OffsetStart[Blocks]];
        for (int b = 0; b < Blocks; b++)
        {
            int o = OffsetStart[b];
            for (int i = _channelStart[b]; i < _channelStart[b + 1]; i++)
            {
                offsets.Slice(_channels[i] * kvol, kvol).CopyTo(Offsets.AsSpan(o));
                o += kvol;
            }
        }

        Density = (double)used / ((double)rows * _cols);
    }

    /// <summary>Number of row blocks.</summary>
    public int Blocks { get; }

    /// <summary>First row of each block (and the row count at [Blocks]).</summary>
    public int[] RowStart { get; }

    /// <summary>Columns (connected channels × kernel volume) of each block.</summary>
    public int[] K { get; }

    /// <summary>Start of each block's packed weights.</summary>
    public int[] WeightStart { get; }

    /// <summary>Start of each block's offsets in <see cref="Offsets"/>.</summary>
    public int[] OffsetStart { get; }

    /// <summary>The blocks' virtual-column offsets, concatenated.</summary>
    public int[] Offsets { get; }

    /// <summary>Fraction of the dense (row, channel) pairs the blocks still multiply.</summary>
    public double Density { get; }

    /// <summary>Floats of the packed weights.</summary>
    public int PackedLength => WeightStart[Blocks];

    /// <summary>Whether the blocks skip enough to beat the dense product (at least 10 % of the work).</summary>
    public bool Pays => Density <= 0.9;

    /// <summary>Builds the table for rows × cols from a predicate.</summary>
    public static bool[,] Table(int rows, int cols, Func<int, int, bool> connected)
    {
        var t = new bool[rows, cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[r, c] = connected(r, c);
            }
        }

        return t;
    }

    /// <summary>packed[block][r][(channel, t)] = w[r][channel·kvol + t] for the block's channels.</summary>
    public void PackWeights(ReadOnlySpan<float> w, Span<float> packed)
    {
        int ld = _cols * _kvol;
        for (int b = 0; b < Blocks; b++)
        {
            int o = WeightStart[b];
            for (int r = RowStart[b]; r < RowStart[b + 1]; r++)
            {
                for (int i = _channelStart[b]; i < _channelStart[b + 1]; i++)
                {
                    w.Slice((r * ld) + (_channels[i] * _kvol), _kvol).CopyTo(packed[o..]);
                    o += _kvol;
                }
            }
        }
    }

    /// <summary>The inverse of <see cref="PackWeights"/> for gradients: dense = 0 except the blocks' channels.</summary>
    public void UnpackWeights(ReadOnlySpan<float> packed, Span<float> dense)
    {
        int ld = _cols * _kvol;
        dense.Slice(0, RowStart[Blocks] * ld).Clear();
        for (int b = 0; b < Blocks; b++)
        {
            int o = WeightStart[b];
            for (int r = RowStart[b]; r < RowStart[b + 1]; r++)
            {
                for (int i = _channelStart[b]; i < _channelStart[b + 1]; i++)
                {
                    packed.Slice(o, _kvol).CopyTo(dense.Slice((r * ld) + (_channels[i] * _kvol)));
                    o += _kvol;
                }
            }
        }
    }
}
