using System;
using System.Collections.Generic;
using System.Text;

namespace ConvNet;

/// <summary>
/// The lecture's feature-map selection: M_q is the set of input maps p connected to output map q, and M̃_p the set of
/// outputs q that input p feeds. Stored as an immutable [out][in] boolean matrix (the transpose of LeNet-5's printed
/// table, whose rows are inputs). Forward: y_q = Σ_{p∈M_q} y_p *valid rot180(w_qp) + b_q; backward:
/// δ_p = Σ_{q∈M̃_p} δ_q *full w_qp. A set may be empty, as the set notation permits: an output with M_q = ∅ is
/// y_q = b_q (and ∂E/∂w_q· = 0), an input with M̃_p = ∅ gets δ_p = 0.
/// </summary>
public sealed class ConnectionTable : IEquatable<ConnectionTable>
{
    private readonly bool[] _connected; // [out * Inputs + in]

    private ConnectionTable(int inputs, int outputs, bool[] connected)
    {
        Inputs = inputs;
        Outputs = outputs;
        _connected = connected;
        int count = 0;
        for (int q = 0; q < outputs; q++)
        {
            int row = 0;
            for (int p = 0; p < inputs; p++)
            {
                row += connected[(q * inputs) + p] ? 1 : 0;
            }

            count += row;
        }

        ConnectionCount = count;
    }

    /// <summary>The number of input feature maps P.</summary>
    public int Inputs { get; }

    /// <summary>The number of output feature maps Q.</summary>
    public int Outputs { get; }

    /// <summary>Σ_q |M_q|: the number of connected (q, p) pairs.</summary>
    public int ConnectionCount { get; }

    /// <summary>True when every output is connected to every input.</summary>
    public bool IsFull => ConnectionCount == Inputs * Outputs;

    /// <summary>Every output connected to every input (M_q = all maps).</summary>
    /// <param name="inputs">Input maps.</param>
    /// <param name="outputs">Output maps.</param>
    /// <returns>The full table.</returns>
    public static ConnectionTable Full(int inputs, int outputs)
    {
        ThrowHelper.Positive(inputs, nameof(inputs));
        ThrowHelper.Positive(outputs, nameof(outputs));
        var c = new bool[Pairs(inputs, outputs, nameof(outputs))];
        c.AsSpan().Fill(true);
        return new ConnectionTable(inputs, outputs, c);
    }

    /// <summary>Output q reads only input q (depthwise): M_q = {q}.</summary>
    /// <param name="maps">Input and output maps.</param>
    /// <returns>The diagonal table.</returns>
    public static ConnectionTable OneToOne(int maps)
    {
        ThrowHelper.Positive(maps, nameof(maps));
        var c = new bool[Pairs(maps, maps, nameof(maps))];
        for (int i = 0; i < maps; i++)
        {
            c[(i * maps) + i] = true;
        }

        return new ConnectionTable(maps, maps, c);
    }

    /// <summary>
    /// Grouped convolution (AlexNet, ResNeXt): inputs and outputs split into <paramref name="groups"/> equal groups;
    /// output q reads input group q / (outputs / groups), as PyTorch's <c>groups</c>.
    /// </summary>
    /// <param name="inputs">Input maps, divisible by groups.</param>
    /// <param name="outputs">Output maps, divisible by groups.</param>
    /// <param name="groups">Number of groups.</param>
    /// <returns>The block-diagonal table.</returns>
    public static ConnectionTable Groups(int inputs, int outputs, int groups)
    {
        ThrowHelper.Positive(inputs, nameof(inputs));
        ThrowHelper.Positive(outputs, nameof(outputs));
        ThrowHelper.Positive(groups, nameof(groups));
        if (inputs % groups != 0 || outputs % groups != 0)
        {
            ThrowHelper.Argument(nameof(groups), $"Inputs ({inputs}) and outputs ({outputs}) must both be divisible by groups ({groups}).");
        }

        int ig = inputs / groups, og = outputs / groups;
        var c = new bool[Pairs(inputs, outputs, nameof(outputs))];
        for (int q = 0; q < outputs; q++)
        {
            int g = q / og;
            for (int p = g * ig; p < (g + 1) * ig; p++)
            {
                c[(q * inputs) + p] = true;
            }
        }

        return new ConnectionTable(inputs, outputs, c);
    }

    /// <summary>
    /// LeNet-5's C3 table (6 → 16), as printed in the lecture ("Feature map selection"): 60 connections; outputs 0–5 read
    /// three neighbouring maps, 6–11 four neighbouring maps, 12–14 four non-neighbouring maps, 15 all six.
    /// </summary>
    public static ConnectionTable LeNet5C3 { get; } = FromLectureRows(
    [
        "X   XXX  XXXX XX",
        "XX   XXX  XXXX X",
        "XXX   XXX  X XXX",
        " XXX  XXXX  X XX",
        "  XXX  XXXX XX X",
        "   XXX  XXXX XXX",
    ]);

    /// <summary>From an [out, in] boolean matrix: <paramref name="connected"/>[q, p] is true when p ∈ M_q.</summary>
    /// <param name="connected">The matrix, outputs by inputs.</param>
    /// <returns>The table.</returns>
    public static ConnectionTable FromMatrix(bool[,] connected)
    {
        ThrowHelper.NotNull(connected, nameof(connected));
        int outputs = connected.GetLength(0), inputs = connected.GetLength(1);
        if (outputs == 0 || inputs == 0)
        {
            ThrowHelper.Argument(nameof(connected), $"The matrix must be non-empty; actual {outputs}x{inputs}.");
        }

        var c = new bool[inputs * outputs];
        for (int q = 0; q < outputs; q++)
        {
            for (int p = 0; p < inputs; p++)
            {
                c[(q * inputs) + p] = connected[q, p];
            }
        }

        return new ConnectionTable(inputs, outputs, c);
    }

    /// <summary>From the sets M_q: <paramref name="sets"/>[q] lists the input maps of output q.</summary>
    /// <param name="inputs">The number of input maps.</param>
    /// <param name="sets">One set per output map.</param>
    /// <returns>The table.</returns>
    public static ConnectionTable FromSets(int inputs, IReadOnlyList<IEnumerable<int>> sets)
    {
        ThrowHelper.Positive(inputs, nameof(inputs));
        ThrowHelper.NotNull(sets, nameof(sets));
        if (sets.Count == 0)
        {
            ThrowHelper.Argument(nameof(sets), "At least one output set is required.");
        }

        var c = new bool[Pairs(inputs, sets.Count, nameof(sets))];
        for (int q = 0; q < sets.Count; q++)
        {
            ThrowHelper.NotNull(sets[q], nameof(sets));
            foreach (int p in sets[q])
            {
                if ((uint)p >= (uint)inputs)
                {
                    ThrowHelper.Argument(nameof(sets), $"Set M_{q} names input map {p}, outside 0..{inputs - 1}.");
                }

                c[(q * inputs) + p] = true;
            }
        }

        return new ConnectionTable(inputs, sets.Count, c);
    }

    /// <summary>inputs · outputs, checked in 64-bit arithmetic: at most <see cref="Array.MaxLength"/> pairs.</summary>
    private static int Pairs(int inputs, int outputs, string paramName)
    {
        long pairs = (long)inputs * outputs;
        if (pairs > Array.MaxLength)
        {
            ThrowHelper.Argument(paramName, $"A {outputs}x{inputs} connection table has {pairs} pairs, more than an array can hold.");
        }

        return (int)pairs;
    }

    /// <summary>G when the table is exactly <see cref="Groups"/>(Inputs, Outputs, G) for some G &gt; 1 (block-diagonal),
    /// otherwise 1.</summary>
    internal int BlockDiagonalGroups()
    {
        int first = 0;
        for (int p = 0; p < Inputs; p++)
        {
            first += IsConnected(0, p) ? 1 : 0;
        }

        if (first == 0 || first == Inputs || Inputs % first != 0)
        {
            return 1;
        }

        int groups = Inputs / first;
        if (Outputs % groups != 0)
        {
            return 1;
        }

        int ig = Inputs / groups, og = Outputs / groups;
        for (int q = 0; q < Outputs; q++)
        {
            for (int p = 0; p < Inputs; p++)
            {
                if (IsConnected(q, p) != (p / ig == q / og))
                {
                    return 1;
                }
            }
        }

        return groups;
    }

    /// <summary>True when input map p is connected to output map q (p ∈ M_q).</summary>
    /// <param name="output">q.</param>
    /// <param name="input">p.</param>
    /// <returns>Whether the pair is connected.</returns>
    public bool IsConnected(int output, int input)
    {
        if ((uint)output >= (uint)Outputs || (uint)input >= (uint)Inputs)
        {
            ThrowHelper.OutOfRange(nameof(output), (output, input), $"(q={output}, p={input}) is outside a {Outputs}x{Inputs} table.");
        }

        return _connected[(output * Inputs) + input];
    }

    /// <summary>M_q: the input maps connected to output map q, ascending.</summary>
    /// <param name="output">q.</param>
    /// <returns>The input indices.</returns>
    public int[] InputsOf(int output)
    {
        var list = new List<int>();
        for (int p = 0; p < Inputs; p++)
        {
            if (IsConnected(output, p))
            {
                list.Add(p);
            }
        }

        return list.ToArray();
    }

    /// <summary>M̃_p: the output maps that input map p feeds, ascending.</summary>
    /// <param name="input">p.</param>
    /// <returns>The output indices.</returns>
    public int[] OutputsOf(int input)
    {
        var list = new List<int>();
        for (int q = 0; q < Outputs; q++)
        {
            if (IsConnected(q, input))
            {
                list.Add(q);
            }
        }

        return list.ToArray();
    }

    /// <inheritdoc />
    public bool Equals(ConnectionTable? other) =>
        other is not null && other.Inputs == Inputs && other.Outputs == Outputs && other._connected.AsSpan().SequenceEqual(_connected);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ConnectionTable);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Inputs);
        h.Add(Outputs);
        foreach (bool b in _connected)
        {
            h.Add(b);
        }

        return h.ToHashCode();
    }

    /// <summary>
    /// The grid as the lecture prints it: one row per input map p, one column per output map q, X where connected.
    /// </summary>
    /// <returns>A multi-line string.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder();
        int width = Math.Max(2, (Outputs - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length + 1);
        sb.Append(' ', width);
        for (int q = 0; q < Outputs; q++)
        {
            sb.Append(q.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width));
        }

        for (int p = 0; p < Inputs; p++)
        {
            sb.Append('\n').Append(p.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width));
            for (int q = 0; q < Outputs; q++)
            {
                sb.Append((_connected[(q * Inputs) + p] ? "X" : ".").PadLeft(width));
            }
        }

        return sb.ToString();
    }

    private static ConnectionTable FromLectureRows(string[] rows)
    {
        int inputs = rows.Length, outputs = rows[0].Length;
        var c = new bool[inputs * outputs];
        for (int p = 0; p < inputs; p++)
        {
            for (int q = 0; q < outputs; q++)
            {
                c[(q * inputs) + p] = rows[p][q] == 'X';
            }
        }

        return new ConnectionTable(inputs, outputs, c);
    }
}
